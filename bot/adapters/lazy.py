"""Package facades whose names are imported on first use (PEP 562), as :mod:`bot.adapters.line` and
:mod:`bot.adapters.discord` re-export their modules' public names.

A facade that imported every module at once would load the platform SDK (line-bot-sdk,
discord.py) for anyone who needs only a pure module such as ``.codecs`` or ``.ids`` —
``soudan validate`` among them.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, home: Mapping[str, Sequence[str]],
                 public: Sequence[str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module-level ``__getattr__`` and ``__dir__`` of a facade package.

    Args:
        package: the package's ``__name__``.
        home: submodule name (relative, e.g. ``"ids"``) → the public names it defines.
        public: the package's ``__all__``.

    Returns:
        ``(__getattr__, __dir__)``: ``__getattr__(name)`` imports ``package.<module>`` on first
        use and keeps the value in the package's namespace; it raises :class:`AttributeError` for
        a name no submodule exports.
    """
    module_of = {name: module for module, names in home.items() for name in names}

    def getattr_(name: str) -> Any:
        module = module_of.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)
        return value

    def dir_() -> list[str]:
        return sorted({*vars(sys.modules[package]), *public})

    return getattr_, dir_
