"""Understanding what people type (DESIGN.md §9): one analysis per message (SudachiPy), choice
matching with clause-level negation, crisis detection, and slot extractors (ages and school years,
places). Pure and deterministic; nothing is stored or logged.

Modules: :mod:`~bot.nlu.analysis` (the analysis), :mod:`~bot.nlu.matcher` (choices),
:mod:`~bot.nlu.crisis`, :mod:`~bot.nlu.slots` (ages, school years), :mod:`~bot.nlu.regions`
(prefectures and cities), :mod:`~bot.nlu.understand` (one flow's understanding, used by the
engine) and :mod:`~bot.nlu.corpus` (the labelled corpus behind ``soudan nlu``).
"""
