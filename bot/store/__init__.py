"""Session stores: memory, SQLite (default for ``soudan serve``) and Redis (scale-out).

Use :func:`open_store` with the ``SOUDAN_STORE`` URL: ``memory://``, ``sqlite:///var/soudan.db``,
``redis://host:6379/0``. Backends are imported only when chosen (redis-py only for Redis).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from bot.store.base import SessionStore, StoreError, redact_url, user_key

__all__ = ["SCHEMES", "SessionStore", "StoreError", "open_store", "user_key"]

SCHEMES = ("memory", "sqlite", "redis", "rediss", "unix")
"""URL schemes :func:`open_store` understands."""

_HELP = ("use memory:// (tests, one process, nothing kept), sqlite:///var/soudan.db (one process or "
         "several on one machine; a path after the third slash is relative, sqlite:////abs/path.db is "
         "absolute) or redis://host:6379/0 (several replicas; unix:///path/redis.sock?db=0 for a Redis socket "
         "on this machine)")


def open_store(url: str) -> SessionStore:
    """The store a URL names (no connection is made yet; call ``await store.ping()`` to check).

    Args:
        url: ``memory://``; ``sqlite:///relative/path.db`` or ``sqlite:////absolute/path.db``
            (the parent folder is created on first use), optionally with ``?exclusive=1`` (this
            process owns the file: fewer system calls per step, no other process can open it); ``redis://[:password@]host:port/db`` or
            ``rediss://…``, optionally with ``?prefix=name:`` to change the key prefix
            (``soudan:``); ``unix:///path/to/redis.sock?db=0`` for a Redis server on this machine's
            unix socket (the query may carry ``password`` and ``prefix``).

    Returns:
        A :class:`SessionStore`.

    Raises:
        ValueError: for an unknown scheme or a URL without a path, with the forms that work.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError as exc:
        raise ValueError(f"SOUDAN_STORE={redact_url(url)!r} is not a URL ({exc}); {_HELP}") from None
    scheme = parts.scheme.lower()
    if scheme == "memory":
        from bot.store.memory import MemoryStore

        return MemoryStore()
    if scheme == "sqlite":
        if parts.netloc:
            raise ValueError(f"SOUDAN_STORE={url!r}: a SQLite URL has three slashes before the path "
                             f"(sqlite:///{parts.netloc}{parts.path}); {_HELP}")
        raw = unquote(parts.path)
        if raw in ("", "/") or raw.endswith("/"):
            raise ValueError(f"SOUDAN_STORE={url!r} names no database file; {_HELP}")
        if raw == "/:memory:":
            raise ValueError("SOUDAN_STORE=sqlite:///:memory: is not supported (it would not survive a restart); "
                             "use memory:// instead")
        exclusive = False
        for k, v in parse_qsl(parts.query, keep_blank_values=True):
            if k != "exclusive" or v.lower() not in ("1", "0", "true", "false", "yes", "no"):
                raise ValueError(f"SOUDAN_STORE={url!r}: a SQLite URL takes only ?exclusive=1 (one process owns "
                                 f"the file) or ?exclusive=0, not {k}={v!r}; {_HELP}")
            exclusive = v.lower() in ("1", "true", "yes")
        from bot.store.sqlite import SQLiteStore

        # "/var/x.db" → var/x.db; "//abs/x.db" → /abs/x.db
        return SQLiteStore(Path(raw[1:]), exclusive=exclusive)
    if scheme in ("redis", "rediss", "unix"):  # unix: Redis on a unix socket (redis-py's URL form)
        if scheme == "unix" and (parts.netloc or parts.path in ("", "/") or parts.path.endswith("/")):
            raise ValueError(f"SOUDAN_STORE={redact_url(url)!r} names no socket file; "
                             "e.g. unix:///run/redis/redis-server.sock?db=0")
        if scheme != "unix" and not parts.hostname:
            raise ValueError(f"SOUDAN_STORE={redact_url(url)!r} names no host; e.g. redis://127.0.0.1:6379/0")
        query = parse_qsl(parts.query, keep_blank_values=True)
        prefix = next((v for k, v in query if k == "prefix"), None)
        rest = urlencode([(k, v) for k, v in query if k != "prefix"])
        from bot.store.redis import DEFAULT_PREFIX, RedisStore

        return RedisStore(urlunsplit((parts.scheme, parts.netloc, parts.path, rest, "")),
                          prefix=prefix or DEFAULT_PREFIX)
    raise ValueError(f"SOUDAN_STORE={redact_url(url)!r}: unknown store scheme {parts.scheme or '(none)'!r}; {_HELP}")
