"""The simulator's page: ``static/`` (index.html, app.js, style.css; no build step, nothing from a CDN)
served with a strict Content-Security-Policy."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

__all__ = ["CSP", "STATIC", "index"]

STATIC = Path(__file__).with_name("static")
"""The page: index.html, app.js, style.css (no build step, nothing from a CDN)."""

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
"""The page's Content-Security-Policy: everything from this server, no framing."""


async def index(request: web.Request) -> web.StreamResponse:
    """``GET /``: the page, with CSP, ``no-cache``, ``nosniff`` and ``no-referrer`` headers."""
    return web.FileResponse(STATIC / "index.html", headers={
        "Content-Security-Policy": CSP, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer"})
