"""The flows and the directory on disk for the simulator, reloaded when a file changes.

When the edited files do not load, :class:`FlowSource` keeps the last version that loaded and
reports the errors (``file:line``) in :meth:`FlowSource.status`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from bot.engine.core import Engine
from bot.engine.flow import LoadedFlow
from bot.errors import ProblemsError
from bot.settings import Settings
from bot.timeutil import iso, now_jst
from bot.yamlload import LoadError

__all__ = ["FlowSource", "rel"]

log = logging.getLogger("soudan.web")


class FlowSource:
    """The flows and the directory on disk, reloaded when a file changes.

    Args:
        settings: where the files are (``flows_dir``, ``directory_dir``) and engine options.
        fallback: an engine to serve when the files on disk do not load at start-up (the app's).

    Attributes:
        engine: the engine serving the simulator (the last version that loaded).
        flows: flow id → :class:`LoadedFlow` of that engine (for file lines), when loaded here.
        errors: problems of the files on disk now (empty when they load).
        warnings: warnings of the last successful load (e.g. old ``verified`` dates).
        loaded_at: when :attr:`engine` was loaded (aware, JST).
        version: increases at every successful reload.
    """

    def __init__(self, settings: Settings, fallback: Engine | None = None) -> None:
        self.settings = settings
        self.flows: dict[str, LoadedFlow] = {}
        self.errors: list[LoadError] = []
        self.warnings: list[LoadError] = []
        self.version = 0
        self.loaded_at = now_jst()
        self._stamp = self._snapshot()
        loaded = self._load()
        if loaded is None and fallback is None:
            raise ProblemsError(self.errors)
        self.engine: Engine = loaded if loaded is not None else fallback  # type: ignore[assignment]

    def _files(self) -> list[Path]:
        return [*self.settings.flow_paths(), *self.settings.directory_paths()]

    def _snapshot(self) -> tuple[tuple[str, int, int], ...]:
        out = []
        for p in self._files():
            try:
                st = p.stat()
            except OSError:
                continue
            out.append((str(p), st.st_mtime_ns, st.st_size))
        return tuple(out)

    def _load(self) -> Engine | None:
        from bot.loading import load

        try:
            loaded = load(self.settings.flow_paths(), self.settings.directory_paths(),
                          default_flow=self.settings.default_flow, idle_timeout=self.settings.session_ttl)
        except ProblemsError as exc:
            self.errors = exc.errors
            return None
        except ValueError as exc:  # e.g. SOUDAN_DEFAULT_FLOW names a flow that is gone
            self.errors = [LoadError(str(self.settings.flows_dir), 0, str(exc))]
            return None
        except Exception as exc:  # never let an edit on disk break the page: report it instead
            log.exception("simulator: reloading the flows failed")
            self.errors = [LoadError(str(self.settings.flows_dir), 0,
                                     f"the files could not be loaded ({type(exc).__name__}); run `soudan validate`")]
            return None
        self.errors = []
        self.warnings = loaded.warnings
        self.flows = loaded.flows
        self.version += 1
        self.loaded_at = now_jst()
        return loaded.engine

    def current(self) -> Engine:
        """The engine to use now, after reloading if a file changed since the last check."""
        stamp = self._snapshot()
        if stamp != self._stamp:
            self._stamp = stamp
            engine = self._load()
            if engine is not None:
                self.engine = engine
                log.info("simulator reloaded flows (version %d)", self.version)
            else:
                log.warning("simulator: the edited files do not load; serving the last version that did")
        return self.engine

    def status(self) -> dict[str, Any]:
        """The ``source`` object of every API answer (see docs/web-api.md)."""
        return {
            "ok": not self.errors,
            "errors": [_problem(e) for e in self.errors],
            "warnings": [_problem(e) for e in self.warnings],
            "serving": "current" if not self.errors else "last-good",
            "version": self.version,
            "loaded_at": iso(self.loaded_at),
        }


def _problem(e: LoadError) -> dict[str, Any]:
    return {"path": rel(e.path), "line": e.line, "message": e.message, "severity": e.severity,
            "text": str(e).replace(e.path, rel(e.path), 1)}


def rel(path: str) -> str:
    """``path`` relative to the project root (POSIX), or as it is when outside it."""
    from bot.settings import ROOT

    try:
        return Path(path).resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return path
