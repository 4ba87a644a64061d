"""The flow authors' toolkit: lint rules, transcript tests, diagrams and JSON Schemas.

These modules back the ``soudan validate`` extra checks (:mod:`bot.toolkit.lint`),
``soudan test`` (:mod:`bot.toolkit.transcripts`), ``soudan graph`` (:mod:`bot.toolkit.graph`)
and ``soudan schema`` (:mod:`bot.toolkit.schema`). They are written for school staff and
counsellors who edit ``flows/*.yaml`` and ``directory/*.yaml``: every message names
``file:line`` and says how to fix the problem. See ``docs/writing-flows.md``.
"""
