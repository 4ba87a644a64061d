"""The LINE rich menu: the persistent panel under the chat (``soudan line richmenu``).

Four areas, in Japanese and in English (one menu per locale, 2500×1686 px, 2×2):

======================  ===============================  =======================================
area                    postback                         what the person gets
======================  ===============================  =======================================
相談をはじめる            ``c=:restart``                   the consultation from its first question
窓口をさがす（いま受付中）  ``c=:open-now&l=ja``              the windows open now (national, not
                                                         110/119), then the current question
いますぐ助けが必要         ``c=:help-now&l=ja``              the flow's crisis reply (110 first)
使い方・データ削除         ``c=:help``                      how to use it, then the current question
                                                         with one more quick reply, 「データを消す」
                                                         (the deletion question 消す / やめる)
======================  ===============================  =======================================

Each area runs one of the engine's commands (:class:`~bot.engine.types.CommandName`: ``restart``,
``open-now``, ``help-now``, ``help``), read by :func:`bot.adapters.line.codecs.menu_command`; they
work whatever the conversation's state, and the engine answers them as it answers the same
command from any adapter (「いま受付中」 typed, a ``:open-now`` button). ``l`` is the menu's language,
for a person the bot has no conversation with yet. The postback's ``displayText`` (the area's
label) appears in the chat as the person's own words. Menus made by earlier releases
(``m=open-now``, and the message 「今すぐ助けて」, which the crisis check answers) still work.

``soudan line richmenu`` renders both images with pillow (a CJK font is needed: Noto Sans CJK
from ``fonts-noto-cjk``, or ``SOUDAN_CJK_FONT``), creates both menus through line-bot-sdk, uploads
the images through its blob API (``MessagingApiBlob.set_rich_menu_image``), makes the Japanese one
the default, and deletes the menus it replaced (every menu whose name starts with
:data:`NAME_PREFIX`). The adapter links the English menu to a person whose conversation is in
English (:class:`RichMenuLinker`).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.adapters.line.client import API_BASE
from bot.adapters.line.codecs import menu_data
from bot.engine.types import CommandName
from bot.i18n import CATALOGUE, LOCALES, t

__all__ = [
    "AREAS", "NAME_PREFIX", "SIZE", "Area", "FontNotFound", "RichMenuLinker", "find_font", "main",
    "menu_image", "menu_request",
]

log = logging.getLogger("soudan.line")

SIZE = (2500, 1686)
"""Width and height of the menu image in pixels (LINE's large size)."""

NAME_PREFIX = "soudan-"
"""Every rich menu this command makes is named ``soudan-<locale>-<digest>``; the ones it replaces
are found by this prefix."""

FONT_ENV = "SOUDAN_CJK_FONT"
"""Environment variable naming a font file with Japanese glyphs (overrides the search)."""

_FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
    "/System/Library/Fonts/ヒラギノ角ゴシック W6.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
)


@dataclass(frozen=True)
class Area:
    """One tappable area.

    Attributes:
        key: its catalogue key (``line.richmenu.<key>``: the label drawn on the image).
        colour: background colour (RGB hex).
        command: the engine command it runs.
        localised: True when the postback carries the menu's language (``&l=``): for the answers a
            person the bot does not know yet must get in that language.
    """

    key: str
    colour: str
    command: CommandName
    localised: bool = False


AREAS: tuple[Area, ...] = (
    Area("start", "#06C755", CommandName.RESTART),
    Area("open_now", "#2B6CB0", CommandName.OPEN_NOW, localised=True),
    Area("help_now", "#C62828", CommandName.HELP_NOW, localised=True),
    Area("usage", "#4A5568", CommandName.HELP),
)
"""The areas in reading order: top left, top right, bottom left, bottom right."""


class FontNotFound(RuntimeError):
    """No font with Japanese glyphs on this machine."""


def _has_japanese(path: str) -> bool:
    """True when the font at ``path`` draws 相 and 談 as different glyphs (not both as a missing-glyph box)."""
    from PIL import Image, ImageDraw, ImageFont

    try:
        font = ImageFont.truetype(path, 48)
    except OSError:
        return False

    def drawn(ch: str) -> bytes:
        img = Image.new("L", (64, 64), 0)
        ImageDraw.Draw(img).text((4, 4), ch, font=font, fill=255)
        return img.tobytes()

    return drawn("相") != drawn("談")


def find_font() -> str:
    """A font file with Japanese glyphs: ``SOUDAN_CJK_FONT``, then known Noto CJK / system paths,
    then ``fc-match`` for a Japanese sans-serif font.

    Raises:
        FontNotFound: when none is found (the message says how to install one).
    """
    given = os.environ.get(FONT_ENV)
    if given:
        if not Path(given).is_file() or not _has_japanese(given):
            raise FontNotFound(f"{FONT_ENV}={given}: not a font file with Japanese glyphs")
        return given
    for path in _FONT_CANDIDATES:
        if Path(path).is_file() and _has_japanese(path):
            return path
    if shutil.which("fc-match"):
        try:
            found = subprocess.run(["fc-match", "-f", "%{file}", "sans-serif:lang=ja"], capture_output=True,
                                   text=True, timeout=10, check=False).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            found = ""
        if found and Path(found).is_file() and _has_japanese(found):
            return found
    raise FontNotFound("no font with Japanese glyphs found: install one (Debian/Ubuntu: "
                       f"apt-get install -y fonts-noto-cjk) or set {FONT_ENV}=/path/to/font.ttc")


def _cells() -> list[tuple[int, int, int, int]]:
    """``(x, y, width, height)`` of the four areas (2×2)."""
    w, h = SIZE
    hw, hh = w // 2, h // 2
    return [(0, 0, hw, hh), (hw, 0, w - hw, hh), (0, hh, hw, h - hh), (hw, hh, w - hw, h - hh)]


def _action(area: Area, locale: str) -> dict[str, Any]:
    label = t(f"line.richmenu.{area.key}.short", locale)
    return {"type": "postback", "label": label, "data": menu_data(area.command, locale if area.localised else None),
            "displayText": label}


def menu_request(locale: str, image: bytes = b"") -> dict[str, Any]:
    """The rich menu object for ``locale`` (the body of ``POST /v2/bot/richmenu``).

    Its name is ``soudan-<locale>-<digest>``, the digest over the areas and ``image``: a changed
    menu gets a new name. ``selected`` is true: the menu is open when the chat is.
    """
    areas = [{"bounds": {"x": x, "y": y, "width": w, "height": h}, "action": _action(a, locale)}
             for a, (x, y, w, h) in zip(AREAS, _cells(), strict=True)]
    digest = hashlib.sha256(json.dumps(areas, ensure_ascii=False).encode() + image).hexdigest()[:12]
    return {"size": {"width": SIZE[0], "height": SIZE[1]}, "selected": True,
            "name": f"{NAME_PREFIX}{locale}-{digest}", "chatBarText": t("line.richmenu.bar", locale), "areas": areas}


def _wrap(draw: Any, text: str, font: Any, width: int) -> list[str]:
    """``text`` broken into lines that fit ``width`` pixels (at spaces for English, anywhere for Japanese)."""
    lines: list[str] = []
    for para in text.split("\n"):
        words = para.split(" ") if " " in para else list(para)
        sep = " " if " " in para else ""
        line = ""
        for word in words:
            trial = f"{line}{sep}{word}" if line else word
            if draw.textlength(trial, font=font) <= width or not line:
                line = trial
            else:
                lines.append(line)
                line = word
        lines.append(line)
    return lines


def menu_image(locale: str, font_path: str) -> bytes:
    """The menu image for ``locale`` as PNG bytes (2500×1686, each area its colour, its label centred).

    Raises:
        OSError: if the font cannot be read.
    """
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", SIZE, "#FFFFFF")
    draw = ImageDraw.Draw(img)
    title = ImageFont.truetype(font_path, 120)
    sub = ImageFont.truetype(font_path, 80)
    for area, (x, y, w, h) in zip(AREAS, _cells(), strict=True):
        draw.rectangle((x + 6, y + 6, x + w - 7, y + h - 7), fill=area.colour)
        lines = [(line, title) for line in _wrap(draw, t(f"line.richmenu.{area.key}", locale), title, w - 160)]
        if f"line.richmenu.{area.key}.note" in CATALOGUE["ja"]:
            note = t(f"line.richmenu.{area.key}.note", locale)
            lines += [(line, sub) for line in _wrap(draw, note, sub, w - 160)]
        heights = [f.getbbox(s or " ")[3] - f.getbbox(s or " ")[1] for s, f in lines]
        gap = 36
        top = y + (h - sum(heights) - gap * (len(lines) - 1)) // 2
        for (s, f), lh in zip(lines, heights, strict=True):
            left, upper, right, _ = f.getbbox(s)
            draw.text((x + (w - (right - left)) // 2 - left, top - upper), s, font=f, fill="#FFFFFF")
            top += lh + gap
    out = io.BytesIO()
    img.save(out, "PNG", optimize=True)
    return out.getvalue()


# ------------------------------------------------------------------ per-user menus

Api = Callable[[str, str], Awaitable[bytes]]
"""``await api(method, path)`` → the response body; raises for a non-2xx answer or no connection."""


@dataclass
class RichMenuLinker:
    """Links the English menu to people whose conversation is in English; unlinks it (back to the
    default, Japanese) when they switch to Japanese.

    Nothing is called for a Japanese conversation that was never linked. The English menu's id is
    looked up by name (``soudan-en-…``) and cached for :attr:`refresh` seconds; when no such menu
    exists (``soudan line richmenu`` was never run), nothing is linked. What was linked is kept
    in memory per hashed user key (at most :attr:`limit`): after a restart, an English user is
    linked again on their next event.

    Attributes:
        api: how to call the Messaging API (the adapter's SDK client).
        refresh: seconds between two look-ups of the English menu's id.
        limit: users remembered.
    """

    api: Api
    refresh: float = 600.0
    limit: int = 50_000
    _menu: str | None = None
    _looked: float = -1e9
    _linked: OrderedDict[str, str] = field(default_factory=OrderedDict)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def _english_menu(self) -> str | None:
        async with self._lock:
            if time.monotonic() - self._looked < self.refresh:
                return self._menu
            self._looked = time.monotonic()
            body = json.loads(await self.api("GET", "/v2/bot/richmenu/list") or b"{}")
            menus = [m for m in body.get("richmenus") or [] if str(m.get("name", "")).startswith(NAME_PREFIX + "en-")]
            self._menu = str(menus[-1]["richMenuId"]) if menus else None
            return self._menu

    async def sync(self, user_id: str, user_key: Callable[[], str], locale: str) -> None:
        """Make the menu ``user_id`` sees match ``locale`` (``user_key()``: their hashed key, for
        memory and logs; computed only when needed).

        Never raises: an API failure is logged (type only) and tried again on the next event.
        """
        if locale != "en" and not self._linked:
            return  # the usual case: a Japanese conversation, no English menu linked to anyone
        key = user_key()
        linked = self._linked.get(key)
        if locale != "en" and linked is None:
            return
        try:
            if locale == "en":
                menu = await self._english_menu()
                if menu is None or linked == menu:
                    return
                await self.api("POST", f"/v2/bot/user/{user_id}/richmenu/{menu}")
                self._linked[key] = menu
                self._linked.move_to_end(key)
                while len(self._linked) > self.limit:
                    self._linked.popitem(last=False)
            else:
                await self.api("DELETE", f"/v2/bot/user/{user_id}/richmenu")
                self._linked.pop(key, None)
        except Exception as exc:  # noqa: BLE001 — the SDK's ApiException, aiohttp errors, a bad JSON body: never fail the webhook
            log.warning("LINE rich menu link for %s failed: %s", key, type(exc).__name__)


# ------------------------------------------------------------------ soudan line richmenu

def _problems(body: dict[str, Any]) -> list[str]:
    from linebot.v3.messaging import RichMenuRequest

    try:
        RichMenuRequest.from_dict(body)
    except Exception as exc:  # noqa: BLE001 — the SDK's pydantic v1 ValidationError and friends: a recorded problem
        return [str(exc)]
    return []


def main(args: argparse.Namespace) -> int:
    """``soudan line richmenu``: render, upload, make default, replace the old menus.

    Returns:
        0 on success, 1 when LINE refused a call (the old menus are then left in place), 2 for
        missing credentials or font, or an ``--out`` folder that cannot be written.
    """
    from bot.settings import Settings

    try:
        font = find_font()
    except FontNotFound as exc:
        print(f"soudan line richmenu: {exc}", file=sys.stderr)
        return 2
    built: dict[str, tuple[dict[str, Any], bytes]] = {}
    for loc in LOCALES:
        png = menu_image(loc, font)
        built[loc] = (menu_request(loc, png), png)
        problems = _problems(built[loc][0])
        if problems:  # a programming error: the menu is ours
            print(f"soudan line richmenu: the {loc} menu is invalid: {problems}", file=sys.stderr)
            return 1
    out = args.out or ("var/richmenu" if args.dry_run else None)
    if out:
        folder = Path(out)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for loc, (body, png) in built.items():
                (folder / f"richmenu-{loc}.png").write_bytes(png)
                (folder / f"richmenu-{loc}.json").write_text(json.dumps(body, ensure_ascii=False, indent=2) + "\n",
                                                               encoding="utf-8")
        except OSError as exc:  # a file where the folder should be, no permission, a full disk
            print(f"soudan line richmenu: cannot write into {folder}/: {exc.strerror or type(exc).__name__}; "
                  "choose another --out folder", file=sys.stderr)
            return 2
        print(f"wrote {', '.join(f'richmenu-{loc}.png/.json' for loc in built)} into {folder}/ (font: {font})")
    if args.dry_run:
        for loc, (body, png) in built.items():
            print(f"{loc}: {body['name']} {SIZE[0]}x{SIZE[1]} {len(png)} bytes, "
                  + " / ".join(a["action"]["label"] for a in body["areas"]))
        return 0
    settings = Settings()
    token = settings.line_channel_access_token
    if token is None or not token.get_secret_value():
        print("soudan line richmenu: LINE_CHANNEL_ACCESS_TOKEN is not set (use --dry-run to only render)",
              file=sys.stderr)
        return 2
    return _upload(built, token.get_secret_value(), settings.line_api_base)


def _upload(built: dict[str, tuple[dict[str, Any], bytes]], token: str, api_base: str | None) -> int:
    import urllib3
    from linebot.v3.messaging import ApiClient, Configuration, MessagingApi, MessagingApiBlob, RichMenuRequest
    from linebot.v3.messaging.exceptions import ApiException

    cfg = Configuration(host=api_base or API_BASE, access_token=token)
    created: list[str] = []
    with ApiClient(cfg) as client:
        api, blob = MessagingApi(client), MessagingApiBlob(client)
        try:
            old = [m.rich_menu_id for m in api.get_rich_menu_list().richmenus or []
                   if (m.name or "").startswith(NAME_PREFIX)]
            ids: dict[str, str] = {}
            for loc, (body, png) in built.items():
                rid = api.create_rich_menu(RichMenuRequest.from_dict(body)).rich_menu_id
                created.append(rid)
                blob.set_rich_menu_image(rid, png, _headers={"Content-Type": "image/png"})
                ids[loc] = rid
                print(f"{loc}: created {body['name']} ({rid}) and uploaded its image")
            api.set_default_rich_menu(ids["ja"])
            print(f"ja: {ids['ja']} is the default rich menu")
        except (ApiException, urllib3.exceptions.HTTPError) as exc:
            if isinstance(exc, ApiException):
                print(f"soudan line richmenu: LINE refused: {exc.status} {exc.reason} {exc.body!r}", file=sys.stderr)
            else:
                print(f"soudan line richmenu: the Messaging API could not be reached: {type(exc).__name__}",
                      file=sys.stderr)
            for rid in created:  # leave the old menus as they were
                try:
                    api.delete_rich_menu(rid)
                except (ApiException, urllib3.exceptions.HTTPError):
                    print(f"  could not delete the new menu {rid}", file=sys.stderr)
            return 1
        for rid in old:
            try:
                api.delete_rich_menu(rid)
                print(f"deleted the replaced menu {rid}")
            except (ApiException, urllib3.exceptions.HTTPError) as exc:
                print(f"soudan line richmenu: could not delete the replaced menu {rid}: {type(exc).__name__}",
                      file=sys.stderr)
    return 0
