"""Session stores: memory, SQLite (default for ``soudan serve``) and Redis (scale-out).

Use :func:`bot.store.open_store` with a URL: ``memory://``, ``sqlite:///path/to/file.db``,
``redis://host:port/db``.
"""

from bot.store.base import SessionStore, StoreError, user_key

__all__ = ["SessionStore", "StoreError", "user_key"]
