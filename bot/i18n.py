"""Localised text values used in flows, the directory and the engine.

A ``Text`` in YAML is either a plain string (written in the file's default locale, Japanese
unless the file says otherwise) or a mapping of locale codes to strings::

    label: はい                      # Japanese only
    label: {ja: はい, en: "Yes"}     # with an English translation
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

LOCALES: tuple[str, ...] = ("ja", "en")
DEFAULT_LOCALE = "ja"


def _blank(k: str) -> ValueError:
    return ValueError(f"the {k!r} text is empty or blank; write the text (LINE refuses an empty message), "
                      "or leave the key out — note that an unquoted # starts a YAML comment")


def _to_map(value: Any) -> dict[str, str]:
    if isinstance(value, str):
        if not value.strip():
            raise _blank(DEFAULT_LOCALE)
        return {DEFAULT_LOCALE: value}
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for k, v in value.items():
            if k not in LOCALES:
                raise ValueError(f"unknown locale {k!r}; use one of {', '.join(LOCALES)}")
            if not isinstance(v, str):
                raise ValueError(f"text for locale {k!r} must be a string, not {type(v).__name__} {v!r}; quote it")
            if not v.strip():
                raise _blank(k)
            out[k] = v
        if DEFAULT_LOCALE not in out:
            raise ValueError(f"the {DEFAULT_LOCALE!r} text is required")
        return out
    raise ValueError(f"expected text or a mapping of locale to text, not {type(value).__name__} {value!r}; quote it")


def _serialize(value: dict[str, str]) -> str | dict[str, str]:
    return value[DEFAULT_LOCALE] if list(value) == [DEFAULT_LOCALE] else value


Text = Annotated[dict[str, str], BeforeValidator(_to_map), PlainSerializer(_serialize)]
"""A localised string: ``{"ja": "...", "en": "..."}`` (``ja`` required)."""


def pick(text: dict[str, str], locale: str) -> str:
    """Return ``text`` in ``locale``, falling back to Japanese.

    Args:
        text: a localised text mapping (see :data:`Text`).
        locale: a locale code such as ``"ja"`` or ``"en"``.
    """
    return text.get(locale) or text[DEFAULT_LOCALE]
