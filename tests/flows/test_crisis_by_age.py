"""The crisis reply by age (shared/domain/routing.md §1): an adult in crisis was shown
24時間子供SOSダイヤル with the step 「18歳未満の人は…」; a person known to be 18 or over (who: adult,
or a stated age of 18+) now gets the flow's ``crisis.adult`` windows and steps. When the age is not
known, the children's line stays and says for whom it is (its page: 「悩んでいる子供や保護者等」)."""

from __future__ import annotations

from pathlib import Path

from bot.engine.flow import load_flow
from bot.engine.types import Refer
from bot.settings import Settings
from bot.testing import FakeChat
from bot.toolkit.lint import lint
from tests.conftest import TINY_DIRECTORY, TINY_FLOW, WEEKDAY_10, write

NIGHT = "2026-12-01T03:00:00+09:00"


def _chat() -> FakeChat:
    s = Settings()
    chat = FakeChat.from_files(s.flow_paths(), s.directory_paths(), at=NIGHT)
    chat.start()
    return chat


def _crisis_card(chat: FakeChat) -> Refer:
    refs = [r for r in chat.replies if isinstance(r, Refer)]
    assert refs and refs[0].urgency == "immediate", chat.text
    return refs[0]


def test_an_adult_in_crisis_gets_the_adult_lines_not_the_childrens_line() -> None:
    chat = _chat()
    chat.pick("none")
    chat.pick("adult")
    chat.say("もう死にたい")
    card = _crisis_card(chat)
    assert [v.contact.id for v in card.contacts] == ["yorisoi", "anata_no_ibasho", "fire_ambulance_119", "police_110"]
    assert "子供SOS" not in chat.text and "18歳未満" not in chat.text
    assert card.steps[0].startswith("薬や刃物")


def test_a_stated_adult_age_counts_as_adult_in_english_too() -> None:
    chat = _chat()
    chat.say("English")
    chat.pick("none")
    chat.say("I'm 34")
    assert chat.state == "what"
    chat.say("I want to die")
    card = _crisis_card(chat)
    assert "mext_24h_sos" not in [v.contact.id for v in card.contacts]
    assert "Children's SOS" not in chat.text and "Yorisoi" in chat.text


def test_an_adult_age_said_in_the_crisis_message_itself_counts_for_the_card() -> None:
    """A first message (or any) that says who is writing: 「大人だけど死にたい」 (found by the breaker)."""
    for words in ("大人だけど死にたい", "30歳だけど死にたい", "社会人です。死にたい"):
        chat = FakeChat.from_files(Settings().flow_paths(), Settings().directory_paths(), at=NIGHT)
        chat.say(words)
        card = _crisis_card(chat)
        assert "mext_24h_sos" not in [v.contact.id for v in card.contacts], words
        assert "yorisoi" in [v.contact.id for v in card.contacts] and "子供SOS" not in chat.text, words
    chat = FakeChat.from_files(Settings().flow_paths(), Settings().directory_paths(), at=NIGHT)
    chat.say("中学生だけど死にたい")
    assert "mext_24h_sos" in [v.contact.id for v in _crisis_card(chat).contacts]


def test_unknown_age_keeps_the_childrens_line_saying_for_whom_it_is() -> None:
    chat = _chat()
    chat.pick("none")
    chat.say("もう死にたい")
    card = _crisis_card(chat)
    assert "mext_24h_sos" in [v.contact.id for v in card.contacts]
    assert "24時間子供SOSダイヤルは、子ども本人と保護者のための電話です。夜間・休日も、いつでも無料でかけられます。" in card.steps
    assert "18歳未満の人は" not in chat.text


def test_a_parent_and_a_pupil_keep_the_childrens_line() -> None:
    for who, words in (("pupil", "死にたい"), ("parent", "子どもが死にたいと言っている"), ("teacher", "生徒が死にたいと言っている")):
        chat = _chat()
        chat.pick("none")
        chat.pick(who)
        chat.say(words)
        assert "mext_24h_sos" in [v.contact.id for v in _crisis_card(chat).contacts], who


def test_the_adult_crisis_windows_must_include_a_24_hour_line(tmp_path: Path) -> None:
    flow = TINY_FLOW.replace("  contacts: [police_110, night_line]\n",
                             "  contacts: [police_110, night_line]\n  adult:\n    contacts: [day_line]\n", 1)
    f = write(tmp_path, "flows/t.yaml", flow)
    d = write(tmp_path, "directory/d.yaml", TINY_DIRECTORY)
    problems = [p for p in lint([f], [d], today=WEEKDAY_10.date()) if p.code == "crisis-no-open-window"]
    assert len(problems) == 1 and "crisis reply has no window open" in problems[0].message
    assert problems[0].line == flow.splitlines().index("    contacts: [day_line]") + 1


def test_an_unknown_adult_crisis_contact_is_named(tmp_path: Path) -> None:
    flow = TINY_FLOW.replace("  contacts: [police_110, night_line]\n",
                             "  contacts: [police_110, night_line]\n  adult:\n    contacts: [nigth_line]\n", 1)
    f = write(tmp_path, "flows/t.yaml", flow)
    _, errs = load_flow(f, ["day_line", "night_line", "police_110"])
    assert [e.line for e in errs] == [flow.splitlines().index("    contacts: [nigth_line]") + 1], errs
    assert "crisis contact 'nigth_line' is not in the directory" in errs[0].message
    assert "night_line" in errs[0].message  # the nearest id is suggested
