"""Windows in another locale: those taking the user's language come first only among windows as
reachable now (trial 2026-12-02, F12: an English-speaking pupil at 22:30 saw the closed
foreign-language hotline first, above the 24-hour Children's SOS Dial; routing.md: open now first)."""

from __future__ import annotations

from bot.contacts.directory import rank
from bot.settings import Settings
from bot.testing import FakeChat


def _pupil_bullied_in_gunma(at: str) -> FakeChat:
    s = Settings()
    chat = FakeChat.from_files(s.flow_paths(), s.directory_paths(), at=at, locale="en")
    chat.start()
    for answer in ("4", "1", "7", "2"):  # none of these / pupil / bullying at school / Gunma
        chat.say(answer)
    return chat


def test_at_night_the_24_hour_line_comes_before_the_closed_english_line() -> None:
    chat = _pupil_bullied_in_gunma("2026-06-10T22:30+09:00")  # a Wednesday
    ids = chat.contact_ids
    assert ids[0] == "mext_24h_sos", ids
    assert "moj_foreign" in ids and chat.statuses["moj_foreign"] == "closed"


def test_by_day_the_open_english_line_still_comes_first() -> None:
    chat = _pupil_bullied_in_gunma("2026-06-10T10:30+09:00")
    assert chat.contact_ids[0] == "moj_foreign" and chat.statuses["moj_foreign"] == "open"


def test_no_window_stands_before_a_more_reachable_one() -> None:
    chat = _pupil_bullied_in_gunma("2026-06-10T22:30+09:00")
    ranks = [rank(v.status) for r in chat.replies for v in getattr(r, "contacts", ())]
    assert ranks == sorted(ranks)
