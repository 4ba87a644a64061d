"""The simulator page driven in a real headless Chromium (Debian's chromium + chromedriver, Selenium).

Run alone with ``python -m pytest -m browser``. Screenshots go to ``tests/artifacts/``
(gitignored). Skipped only when Chromium is not installed and ``CI`` is not set; in CI these
tests must run (``.ci/run`` installs ``chromium`` and ``chromium-driver``).

Japanese text must render as glyphs, not as □: without a CJK font (``fonts-noto-cjk``) every test
here still passes on the DOM text while the screenshots show boxes. :func:`tofu` draws Japanese
characters on a canvas in the page's own font and compares them with a character no font has;
the glyph test fails under ``CI`` (``.ci/run`` installs the fonts) and skips locally.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.app import create_app
from bot.store.memory import MemoryStore
from tests.web.conftest import sim_settings

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
HAVE_BROWSER = Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not HAVE_BROWSER and not os.environ.get("CI"),
                       reason="needs Debian's chromium and chromium-driver: "
                              "apt-get install -y chromium chromium-driver (in CI this test never skips)"),
]

WAIT = 10.0


class Server:
    """The real app on a free port, run by an event loop in a background thread."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.runner = web.AppRunner(app)
        self.url = ""
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> Server:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)
        return self

    async def _start(self) -> None:
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        host, port = self.runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


@pytest.fixture
def server(sim_root: Path) -> Iterator[Server]:
    app = create_app(sim_settings(sim_root), store=MemoryStore())
    with Server(app) as s:
        yield s


def start_browser(env: dict[str, str] | None = None) -> Any:
    """Headless Chromium through chromedriver; ``env`` replaces the browser's environment."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,1000", "--lang=ja-JP"):
        opts.add_argument(arg)
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER, env=env), options=opts)


@pytest.fixture(scope="module")
def shared_browser() -> Iterator[Any]:
    """One Chromium for the tests of this module (each start costs about a second of CPU); every
    test opens its own server, on a port of its own: another origin, so no page state
    (sessionStorage, cookies) carries over from the test before."""
    driver = start_browser()
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def browser(shared_browser: Any) -> Iterator[Any]:
    yield shared_browser
    shared_browser.get("about:blank")  # the next test starts from no page


def wait_for(driver: Any, what: str, check: Any, timeout: float = WAIT) -> Any:
    """Poll ``check(driver)`` until it returns something truthy; fail naming ``what``."""
    end = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < end:
        try:
            last = check(driver)
            if last:
                return last
        except Exception as exc:  # noqa: BLE001 — an element replaced or not there yet while we read it: try again until the deadline
            last = exc
        time.sleep(0.05)
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "simulator-failure.png"))
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


def css(driver: Any, selector: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return list(driver.find_elements(By.CSS_SELECTOR, selector))


def press(driver: Any, choice_id: str) -> None:
    """Click the quick-reply button of ``choice_id`` once it is shown."""
    button = wait_for(driver, f"the button {choice_id!r}", lambda d: (css(d, f'#quick button[data-choice="{choice_id}"]')
                                                                       or [None])[0])
    button.click()


def set_time(driver: Any, value: str) -> None:
    """Set the date-time control (Japan time) as a person would, and fire its change event."""
    driver.execute_script(
        "const i = document.getElementById('at'); i.value = arguments[0];"
        "i.dispatchEvent(new Event('change'));", value)


def card_status(driver: Any, contact: str) -> tuple[str, str]:
    el = css(driver, f'.card[data-contact="{contact}"] .status')
    return (el[-1].text, el[-1].get_attribute("class")) if el else ("", "")


def test_a_consultation_in_the_browser(server: Server, browser: Any, sim_root: Path) -> None:
    d = browser
    d.get(server.url + "/")
    wait_for(d, "the page to start", lambda d: d.find_element("css selector", "body").get_attribute("data-ready"))
    assert d.find_element("id", "flow").get_attribute("value") == "tiny"

    # Tuesday 10:00 in Japan: the weekday line is open
    set_time(d, "2026-12-01T10:00")
    wait_for(d, "the replayed start", lambda d: any("2026-12-01 10:00" in e.text for e in css(d, ".system")))
    press(d, "pupil")
    press(d, "yes")
    status, cls = wait_for(d, "the window card", lambda d: card_status(d, "day_line")[0] and card_status(d, "day_line"))
    assert status == "受付中（17:00まで）" and "s-open" in cls

    def day_card(d: Any) -> tuple[str, str, str]:  # read at once, again when a re-render made it stale
        card = css(d, '.card[data-contact="day_line"]')[-1]
        call = card.find_element("css selector", "a.call")
        return card.find_element("css selector", "h3").text, call.get_attribute("href"), call.text
    name, href, number = wait_for(d, "the card's name and phone", day_card)
    assert name == "平日の相談窓口"
    assert href == "tel:0570003110" and "0570-003-110" in number
    assert "証拠を保存しましょう。" in css(d, ".steps")[-1].text
    assert [b.get_attribute("data-choice") for b in css(d, "#quick button")] == [":back", ":restart", ":stop"]
    wait_for(d, "the outline to highlight the result",
             lambda d: [li.get_attribute("data-state") for li in css(d, "#outline li.current")] == ["result-pupil"])
    assert {li.get_attribute("data-state") for li in css(d, "#outline li.visited")} == {
        "who", "what", "intro", "result-pupil"}
    d.save_screenshot(str(ARTIFACTS / "simulator-weekday.png"))

    # Sunday 22:00: the same answers are replayed; the weekday line is closed, a 24-hour line is added
    set_time(d, "2026-12-06T22:00")

    def closed(d: Any) -> tuple[str, str, str, str] | None:  # read at once, again when stale
        status, cls = card_status(d, "day_line")
        if "受付時間外" not in status:
            return None
        return status, cls, card_status(d, "night_line")[0], css(d, '.card[data-contact="night_line"]')[-1].text
    status, cls, night_status, night = wait_for(d, "the closed status", closed)
    assert "s-closed" in cls and "次は 12/7 9:00〜" in status
    # its hours already say 24時間: the card does not repeat it as a status (issue #12)
    assert night_status == ""
    assert night.splitlines().count("24時間") == 1  # the hours line, once (the name says 24時間 too)
    assert any("時刻を 2026-12-06 22:00" in e.text for e in css(d, ".system"))
    d.save_screenshot(str(ARTIFACTS / "simulator.png"))

    # a preset button sets the control (31 December, 22:00)
    d.find_element("css selector", '[data-preset="newyear"]').click()
    wait_for(d, "the preset", lambda d: d.find_element("id", "at").get_attribute("value").endswith("-12-31T22:00"))

    # typed text and the restart button
    wait_for(d, "the replay after the preset", lambda d: css(d, '.card[data-contact="day_line"]'))
    d.find_element("id", "restart").click()
    wait_for(d, "a fresh start", lambda d: not css(d, ".card") and css(d, '#quick button[data-choice="adult"]'))
    box = d.find_element("id", "message")
    box.send_keys("おとな")
    d.find_element("id", "send").click()
    wait_for(d, "the typed answer", lambda d: css(d, '#quick button[data-choice="other"]'))
    assert css(d, ".msg.user .bubble")[-1].text == "おとな"


@pytest.fixture
def quick_poll(browser: Any) -> Iterator[Any]:
    """The browser with the page's 2 s poll for edited files (``setInterval(pollSource, 2000)``)
    run every 0.2 s: the edit tests waited two whole periods for nothing but the clock."""
    script = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": """
        const every = window.setInterval.bind(window);
        window.setInterval = (f, ms, ...a) => every(f, ms === 2000 ? 200 : ms, ...a);"""})
    yield browser
    browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": script["identifier"]})


def test_a_broken_edit_shows_the_error_on_the_page(server: Server, quick_poll: Any, sim_root: Path) -> None:
    d = quick_poll
    d.get(server.url + "/")
    assert d.execute_script("return window.setInterval.toString()").find("200") > 0  # the quick poll is on
    wait_for(d, "the first question", lambda d: css(d, '#quick button[data-choice="pupil"]'))
    flow = sim_root / "flows" / "tiny.yaml"
    good = flow.read_text(encoding="utf-8")
    line = next(i for i, t in enumerate(good.splitlines(), 1) if "goto: what}" in t)
    flow.write_text(good.replace("goto: what}", "goto: whta}", 1), encoding="utf-8")
    banner = wait_for(d, "the error banner", lambda d: d.find_element("id", "errors").is_displayed()
                      and d.find_element("id", "errors"))
    assert f"tiny.yaml:{line}: error:" in banner.text and "'whta'" in banner.text
    assert "最後に読み込めた版" in banner.text
    d.save_screenshot(str(ARTIFACTS / "simulator-error.png"))
    press(d, "pupil")  # the last good flow still answers
    wait_for(d, "the next question", lambda d: css(d, '#quick button[data-choice="yes"]'))

    flow.write_text(good.replace("あなたは？", "あなたは誰ですか？"), encoding="utf-8")
    wait_for(d, "the banner to go", lambda d: not d.find_element("id", "errors").is_displayed())
    wait_for(d, "the edited question after the replay",
             lambda d: any(e.text == "あなたは誰ですか？" for e in css(d, ".msg.bot .bubble")))
    wait_for(d, "the replayed answer", lambda d: css(d, '#quick button[data-choice="yes"]'))


def test_a_store_outage_shows_110_and_119_and_keeps_the_answer(server: Server, browser: Any, monkeypatch: Any) -> None:
    # the page showed 「エラー / error: internal error; the server log has the details」 (HTTP 500)
    from bot.app import STORE_KEY
    from bot.store.base import StoreUnavailable

    d = browser
    d.get(server.url + "/")
    wait_for(d, "the first question", lambda d: css(d, '#quick button[data-choice="adult"]'))

    async def down(*args: Any, **kw: Any) -> Any:
        raise StoreUnavailable("down (test)")

    monkeypatch.setattr(server.app[STORE_KEY], "step", down)
    box = d.find_element("id", "message")
    box.send_keys("おとな")
    d.find_element("id", "send").click()
    apology = wait_for(d, "the apology", lambda d: css(d, ".msg.bot.error .bubble"))[-1].text
    assert apology.startswith("すみません、いま処理できませんでした。") and "110番" in apology and "119番" in apology
    assert not any("internal error" in e.text for e in css(d, ".system"))
    # nothing lost: the typed answer is back in the box and the question's buttons are still there
    assert d.find_element("id", "message").get_attribute("value") == "おとな"
    assert css(d, '#quick button[data-choice="adult"]')
    d.save_screenshot(str(ARTIFACTS / "simulator-store-down.png"))

    monkeypatch.undo()  # the store is back: the same answer, sent again, goes on
    d.find_element("id", "send").click()
    wait_for(d, "the typed answer", lambda d: css(d, '#quick button[data-choice="other"]'))


def test_a_message_typed_past_the_limit_reaches_the_bot_cut_at_the_limit(server: Server, browser: Any,
                                                                         monkeypatch: Any) -> None:
    """5,001 characters typed into the message box (the test read the box's maxlength attribute
    before; this types them, as a person pasting a long account would): the box keeps the API's
    5,000, the bot receives exactly those, and answers with the too-long reply and the question
    again (nothing is lost to a 400)."""
    from bot.engine.types import Text
    from bot.i18n import t
    from bot.service import Conversations
    from bot.web.api import ChatInput

    limit = next(m.max_length for m in ChatInput.model_fields["text"].metadata if hasattr(m, "max_length"))
    received: list[str] = []
    real = Conversations.handle

    async def recording(self: Conversations, platform: str, raw: str, inp: Any, **kw: Any) -> Any:
        if isinstance(inp, Text):
            received.append(inp.text)
        return await real(self, platform, raw, inp, **kw)

    monkeypatch.setattr(Conversations, "handle", recording)
    d = browser
    d.get(server.url + "/")
    wait_for(d, "the first question", lambda d: css(d, '#quick button[data-choice="adult"]'))
    typed = "いじめられています。" * 500 + "x"  # 5,001 characters
    assert len(typed) == limit + 1
    box = d.find_element("id", "message")
    box.send_keys(typed)
    assert box.get_attribute("value") == typed[:limit]
    d.find_element("id", "send").click()
    wait_for(d, "the bot's answer", lambda d: any(e.text == t("engine.too_long", "ja") for e in css(d, ".msg.bot .bubble")))
    assert received == [typed[:limit]]
    assert css(d, ".msg.user .bubble")[-1].text == typed[:limit]
    assert css(d, '#quick button[data-choice="adult"]')  # the question again


def test_the_help_offers_the_deletion_as_a_button(server: Server, browser: Any) -> None:
    """「ヘルプ」 typed: the question comes again with one more button, 「データを消す」, which asks
    「…すべて消しますか？」 (as on LINE)."""
    d = browser
    d.get(server.url + "/")
    wait_for(d, "the first question", lambda d: css(d, '#quick button[data-choice="adult"]'))
    d.find_element("id", "message").send_keys("ヘルプ")
    d.find_element("id", "send").click()
    wait_for(d, "the offered button", lambda d: css(d, '#quick button[data-choice=":forget"]'))
    assert css(d, "#quick button")[-1].text == "データを消す"
    press(d, ":forget")
    wait_for(d, "the deletion question", lambda d: css(d, '#quick button[data-choice=":forget-yes"]'))
    assert "すべて消しますか" in css(d, ".msg.bot .bubble")[-1].text


def test_the_line_viewer_files_a_reply_to_an_unknown_token_under_user_unknown(browser: Any) -> None:
    """The viewer of `make line-dev` showed nothing for a reply to an event signed by hand (its reply
    token names no user): it is now listed under 「? (user unknown)」 with the reason, and the
    send box is off there (there is nobody to send as)."""
    import json as _json
    import urllib.request

    from bot.devtools.line_fake import UNKNOWN_USER, FakeLineApi

    fake = FakeLineApi()
    with Server(fake.app()) as s:
        req = urllib.request.Request(s.url + "/v2/bot/message/reply", method="POST", data=_json.dumps(
            {"replyToken": "tok-hand", "messages": [{"type": "text", "text": "こんにちは、手で署名"}]}).encode(),
            headers={"Authorization": "Bearer t", "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=WAIT) as resp:
            assert resp.status == 200
        d = browser
        d.get(s.url + "/")
        user = wait_for(d, "the unknown user in the list", lambda d: [u for u in css(d, "#users .user")
                                                                      if u.text.startswith("? (user unknown)")])
        assert user
        wait_for(d, "the reply", lambda d: any(e.text == "こんにちは、手で署名" for e in css(d, "#chat .bubble")))
        assert [e.text for e in css(d, "#chat .note.unknown")] == [UNKNOWN_USER]
        assert d.find_element("id", "text").get_attribute("disabled") is not None
        d.save_screenshot(str(ARTIFACTS / "line-viewer-unknown-user.png"))


# ------------------------------------------------------------------ Japanese glyphs

JAPANESE = "相談窓口あなたは"
"""Characters of the simulator's own text (kanji and kana)."""

TOFU_SCRIPT = """
const family = getComputedStyle(document.body).fontFamily;
function draw(ch) {
  const c = document.createElement('canvas');
  c.width = 64; c.height = 64;
  const g = c.getContext('2d');
  g.font = '48px ' + family;
  g.fillStyle = '#000';
  g.fillText(ch, 4, 52);
  return Array.from(g.getImageData(0, 0, 64, 64).data).join(',');
}
const missing = draw('\\u{10FFFD}');   // private use, plane 16: no font has it (the "no glyph" box)
const blank = draw(' ');
const drawn = Array.from(arguments[0]).map(ch => [ch, draw(ch)]);
return {family: family,
        tofu: drawn.filter(([ch, img]) => img === missing || img === blank).map(([ch]) => ch),
        distinct: new Set(drawn.map(([ch, img]) => img)).size};
"""


def tofu(driver: Any, text: str = JAPANESE) -> list[str]:
    """The characters of ``text`` that the page cannot draw: drawn like a character no font has
    (the box), drawn as nothing, or all alike (one fallback box for every character)."""
    got: dict[str, Any] = driver.execute_script(TOFU_SCRIPT, text)
    chars = list(text)
    return chars if got["distinct"] < len(set(chars)) else list(got["tofu"])


def test_japanese_glyphs_render(server: Server, browser: Any) -> None:
    d = browser
    d.get(server.url + "/")
    wait_for(d, "the page to start", lambda d: d.find_element("css selector", "body").get_attribute("data-ready"))
    missing = tofu(d)
    if missing:
        d.save_screenshot(str(ARTIFACTS / "simulator-tofu.png"))
        why = (f"Japanese characters render as boxes ({''.join(missing)}): no CJK font; "
               "install it with `apt-get install -y fonts-noto-cjk` (.ci/run does)")
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)


def test_the_glyph_check_sees_boxes_when_no_cjk_font_is_there(server: Server, tmp_path: Path) -> None:
    """The check itself can fail: a browser whose fontconfig knows only the Latin fonts draws □."""
    fonts = [p for p in ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype/liberation")
             if Path(p).is_dir()]
    if not fonts:
        pytest.skip("no Latin-only font folder to build a CJK-less fontconfig from")
    conf = tmp_path / "fonts.conf"
    conf.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                    + "".join(f"<dir>{p}</dir>" for p in fonts)
                    + f"<cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>", encoding="utf-8")
    d = start_browser({**os.environ, "FONTCONFIG_FILE": str(conf)})
    try:
        d.get(server.url + "/")
        wait_for(d, "the page to start", lambda d: d.find_element("css selector", "body").get_attribute("data-ready"))
        assert tofu(d) == list(JAPANESE)
        assert tofu(d, "soudan") == []  # Latin letters still draw
    finally:
        d.quit()

