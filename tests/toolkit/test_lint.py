"""``soudan validate`` lint rules, one by one, on small broken files (bot/toolkit/lint.py)."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import pytest

from bot import validate
from bot.settings import Settings
from bot.toolkit import lint as lint_mod
from bot.toolkit.lint import lint, sample_times
from bot.yamlload import LoadError
from tests.conftest import TINY_DIRECTORY, write

TODAY = dt.date(2026, 12, 1)  # a Tuesday


def run_lint(tmp_path: Path, flow: str, directory: str) -> list[LoadError]:
    f = write(tmp_path, "flows/t.yaml", flow)
    d = write(tmp_path, "directory/d.yaml", directory)
    return lint([f], [d], today=TODAY)


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing ``needle``."""
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(needle)


def only(problems: list[LoadError], word: str) -> list[LoadError]:
    return [p for p in problems if word in p.message]


# Own copies of the tiny files (tests/conftest.py), fully translated and with two windows per
# result, so that each test breaks exactly one rule.
TRANSLATED_DIRECTORY = TINY_DIRECTORY  # every text in both languages

TWO_CONTACTS_FLOW = """\
id: tiny
title: {ja: テスト, en: Test}
start: who
fallback: [night_line]
crisis:
  keywords: [死にたい, suicide]
  text: {ja: あなたの安全が大切です。, en: Your safety matters.}
  contacts: [police_110, night_line]
states:
  who:
    ask: {ja: あなたは？, en: "Who are you?"}
    save_as: who
    choices:
      - {id: pupil, label: {ja: 学生, en: Student}, goto: what}
      - {id: adult, label: {ja: おとな, en: Adult}, goto: what}
  what:
    ask: {ja: 何がありましたか？, en: "What happened?"}
    choices:
      - id: yes
        label: {ja: はい、悪口を書かれた, en: "Yes, insults"}
        goto:
          - {when: {who: pupil}, to: intro}
          - {to: result-adult}
      - {id: other, label: {ja: いいえ, en: "No"}, goto: result-adult}
  intro:
    say: {ja: 学生向けの窓口です。, en: Lines for students.}
    next: result-pupil
  result-pupil:
    urgency: normal
    refer:
      text: {ja: 学生の相談先です。, en: Where students can call.}
      contacts: [day_line, police_110]
      steps: [{ja: 証拠を保存しましょう。, en: Save evidence.}]
  result-adult:
    urgency: normal
    refer:
      text: {ja: 相談先です。, en: Where to call.}
      contacts: [day_line, night_line]
"""
ONE_CONTACT_FLOW = TWO_CONTACTS_FLOW.replace("contacts: [day_line, police_110]", "contacts: [day_line]")


# ------------------------------------------------------------------ the clean case

def test_the_tiny_files_with_translations_and_two_windows_are_clean(tmp_path: Path) -> None:
    assert run_lint(tmp_path, TWO_CONTACTS_FLOW, TRANSLATED_DIRECTORY) == []


def test_shipped_flows_have_no_lint_errors() -> None:
    s = Settings()
    errors = [p for p in lint(s.flow_paths(), s.directory_paths(), today=TODAY) if p.severity == "error"]
    assert errors == [], "\n".join(map(str, errors))


# ------------------------------------------------------------------ no-open-window

def test_a_result_with_only_weekday_windows_and_no_fallback_is_an_error(tmp_path: Path) -> None:
    flow = TWO_CONTACTS_FLOW.replace("fallback: [night_line]\n", "").replace(
        "contacts: [day_line, police_110]", "contacts: [day_line]")
    problems = only(run_lint(tmp_path, flow, TRANSLATED_DIRECTORY), "none of its windows")
    assert len(problems) == 1
    p = problems[0]
    assert (p.severity, p.code) == ("error", "no-open-window")  # the code `soudan serve` refuses on
    assert p.line == line_of(flow, "contacts: [day_line]")
    assert "'result-pupil'" in p.message
    assert "Tue 2026-12-01 00:00–09:00" in p.message  # the first closed stretch, in JST
    assert "fallback" in p.message and "24/7" in p.message  # the fix


def test_fallback_contacts_cover_the_closed_hours(tmp_path: Path) -> None:
    flow = TWO_CONTACTS_FLOW.replace("contacts: [day_line, police_110]", "contacts: [day_line]")
    assert "fallback: [night_line]" in flow
    assert only(run_lint(tmp_path, flow, TRANSLATED_DIRECTORY), "none of its windows") == []


def test_a_web_form_open_24h_is_not_a_window_a_person_can_reach(tmp_path: Path) -> None:
    directory = TRANSLATED_DIRECTORY + """\
- id: form_only
  name: {ja: フォーム, en: Form}
  org: {ja: テスト機関, en: Test agency}
  channels: [{kind: form, url: "https://example.org/form"}]
  hours: "24/7"
  hours_text: {ja: 24時間, en: 24 hours}
  cost: free
  topics: [DEF]
  source: https://example.org/form
  verified: "2026-11-30"
"""
    flow = TWO_CONTACTS_FLOW.replace("fallback: [night_line]\n", "").replace(
        "contacts: [day_line, police_110]", "contacts: [day_line, form_only]")
    assert len(only(run_lint(tmp_path, flow, directory), "none of its windows")) == 1


def test_a_crisis_reply_without_24h_lines_is_an_error(tmp_path: Path) -> None:
    flow = TWO_CONTACTS_FLOW.replace("contacts: [police_110, night_line]", "contacts: [day_line]")
    problems = only(run_lint(tmp_path, flow, TRANSLATED_DIRECTORY), "crisis reply")
    assert len(problems) == 1 and problems[0].severity == "error"
    assert problems[0].line == line_of(flow, "contacts: [day_line]")  # the crisis section comes first


def test_sample_times_cover_a_week_year_end_and_a_holiday() -> None:
    times = sample_times(TODAY)
    days = {t.date() for t in times}
    assert {TODAY + dt.timedelta(days=i) for i in range(8)} <= days
    assert dt.date(2026, 12, 31) in days and dt.date(2027, 1, 2) in days
    assert dt.date(2027, 1, 1) in days  # the first public holiday after the week (元日)
    assert all(t.utcoffset() == dt.timedelta(hours=9) for t in times)
    assert len(times) == len(days) * 48


# ------------------------------------------------------------------ platform limits

def many_choices_flow(n: int) -> str:
    ids = ["pupil", "adult", *(f"c{i}" for i in range(2, n))]  # `when: {who: pupil}` needs pupil
    rows = "\n".join(f"      - {{id: {c}, label: {{ja: 選択{c}, en: C{c}}}, goto: what}}" for c in ids)
    head, _, rest = TWO_CONTACTS_FLOW.partition("    choices:\n      - {id: pupil")
    rest = rest.split("\n", 2)[2]  # drop the two original choices
    return f"{head}    choices:\n{rows}\n{rest}"


def test_fourteen_choices_warn_for_line_only(tmp_path: Path) -> None:
    flow = many_choices_flow(14)
    problems = run_lint(tmp_path, flow, TRANSLATED_DIRECTORY)
    line = only(problems, "LINE shows at most 13")
    assert len(line) == 1 and line[0].severity == "warning"
    assert line[0].line == line_of(flow, "    choices:")
    assert "Split the question" in line[0].message
    assert only(problems, "Discord shows at most") == []


def test_twenty_six_choices_warn_for_discord_too(tmp_path: Path) -> None:
    problems = run_lint(tmp_path, many_choices_flow(26), TRANSLATED_DIRECTORY)
    assert len(only(problems, "Discord shows at most 25")) == 1
    assert len(only(problems, "LINE shows at most 13")) == 1


@pytest.mark.parametrize("label,line_warn,discord_warn", [
    ("あ" * 20, False, False),
    ("あ" * 21, True, False),
    ("😀" * 11, True, False),  # 22 UTF-16 units: LINE counts an emoji as two
    ("x" * 81, True, True),
])
def test_long_labels(tmp_path: Path, label: str, line_warn: bool, discord_warn: bool) -> None:
    flow = TWO_CONTACTS_FLOW.replace("label: {ja: おとな, en: Adult}", f"label: {{ja: \"{label}\", en: Adult}}")
    problems = run_lint(tmp_path, flow, TRANSLATED_DIRECTORY)
    line = only(problems, "LINE buttons hold 20")
    discord = only(problems, "Discord buttons hold 80")
    assert bool(line) is line_warn and bool(discord) is discord_warn
    for p in line + discord:
        assert p.severity == "warning"
        assert p.line == line_of(flow, "id: adult")
        assert "'adult'" in p.message


def test_ids_too_long_for_a_discord_custom_id_warn(tmp_path: Path) -> None:
    state = "w" * 50
    choice = "a" * 40  # soudan:c: + 40 + : + 50 + : + 10 = 111 > 100
    flow = (TWO_CONTACTS_FLOW.replace("start: who", f"start: {state}").replace("  who:\n", f"  {state}:\n")
            .replace("{id: adult,", f"{{id: {choice},"))
    problems = only(run_lint(tmp_path, flow, TRANSLATED_DIRECTORY), "Discord button id")
    assert len(problems) == 1
    assert problems[0].severity == "warning"
    assert problems[0].line == line_of(flow, f"id: {choice}")
    assert "111 characters (limit 100)" in problems[0].message
    assert "shorten" in problems[0].message


def test_ids_too_long_for_line_postback_data_warn(tmp_path: Path) -> None:
    state = "s" * 200
    choice = "c" * 100
    flow = (TWO_CONTACTS_FLOW.replace("start: who", f"start: {state}").replace("  who:\n", f"  {state}:\n")
            .replace("{id: adult,", f"{{id: {choice},"))
    problems = only(run_lint(tmp_path, flow, TRANSLATED_DIRECTORY), "LINE button data")
    assert len(problems) == 1 and problems[0].severity == "warning"
    assert "(limit 300)" in problems[0].message and "number instead" in problems[0].message


# ------------------------------------------------------------------ loader checks are not repeated

def test_old_verified_date_is_warned_once_by_the_loader_not_by_lint(tmp_path: Path) -> None:
    directory = TRANSLATED_DIRECTORY.replace('verified: "2026-11-30"', 'verified: "2020-01-01"', 1)
    f = write(tmp_path, "flows/t.yaml", TWO_CONTACTS_FLOW)
    d = write(tmp_path, "directory/d.yaml", directory)
    assert [p for p in lint([f], [d], today=TODAY) if "verified" in p.message] == []
    problems = validate.collect([f], [d])
    old = [p for p in problems if "2020-01-01" in p.message]
    assert len(old) == 1 and old[0].severity == "warning"
    assert old[0].line == line_of(directory, 'verified: "2020-01-01"')


def test_an_invalid_phone_is_reported_once_by_the_loader(tmp_path: Path) -> None:
    directory = TRANSLATED_DIRECTORY.replace('"0570-003-110"', '"0570-003"')
    f = write(tmp_path, "flows/t.yaml", TWO_CONTACTS_FLOW)
    d = write(tmp_path, "directory/d.yaml", directory)
    assert lint([f], [d], today=TODAY) == []  # lint stays silent on files that do not load
    problems = validate.collect([f], [d])
    assert len([p for p in problems if "0570-003" in p.message]) == 1


# ------------------------------------------------------------------ translations

def test_missing_english_in_a_flow_is_an_error_at_the_text(tmp_path: Path) -> None:
    flow = TWO_CONTACTS_FLOW.replace('ask: {ja: 何がありましたか？, en: "What happened?"}', "ask: 何がありましたか？")
    flow = flow.replace("steps: [{ja: 証拠を保存しましょう。, en: Save evidence.}]", "steps: [証拠を保存しましょう。]")
    problems = only(run_lint(tmp_path, flow, TRANSLATED_DIRECTORY), "no English translation")
    assert [(p.line, p.severity, p.code) for p in problems] == [
        (line_of(flow, "ask: 何がありましたか？"), "error", "missing-translation"),
        (line_of(flow, "steps: [証拠を保存しましょう。]"), "error", "missing-translation"),
    ]
    assert "question of 'what'" in problems[0].message and "{ja: ..., en: ...}" in problems[0].message
    assert "step 1 of 'result-pupil'" in problems[1].message


def test_missing_english_in_the_directory_is_an_error_at_the_key(tmp_path: Path) -> None:
    directory = (TRANSLATED_DIRECTORY.replace("name: {ja: 警察 110番, en: Police 110}", "name: 警察 110番")
                 .replace('hours_text: {ja: 平日 9:00〜17:00, en: "Weekdays 9:00-17:00"}', "hours_text: {ja: 平日}"))
    problems = only(run_lint(tmp_path, TWO_CONTACTS_FLOW, directory), "no English translation")
    assert [(p.line, p.severity) for p in problems] == [
        (line_of(directory, "hours_text: {ja: 平日}"), "error"),
        (line_of(directory, "name: 警察 110番"), "error"),
    ]
    assert "day_line: `hours_text`" in problems[0].message
    assert "police_110: `name`" in problems[1].message


# ------------------------------------------------------------------ refer size

def test_a_result_with_one_window_warns(tmp_path: Path) -> None:
    problems = only(run_lint(tmp_path, ONE_CONTACT_FLOW, TRANSLATED_DIRECTORY), "names 1 window")
    assert len(problems) == 1 and problems[0].severity == "warning"
    assert problems[0].line == line_of(ONE_CONTACT_FLOW, "contacts: [day_line]")


def test_a_result_with_five_windows_warns(tmp_path: Path) -> None:
    extra = "".join(f"""\
- id: extra_{i}
  name: {{ja: 窓口{i}, en: Window {i}}}
  org: {{ja: テスト機関, en: Test agency}}
  phones: ["0120-279-338"]
  hours: "24/7"
  hours_text: {{ja: 24時間, en: 24 hours}}
  cost: free
  topics: [DEF]
  source: https://example.org/{i}
  verified: "2026-11-30"
""" for i in (1, 2))
    flow = TWO_CONTACTS_FLOW.replace("contacts: [day_line, night_line]\n",
                                     "contacts: [day_line, night_line, police_110, extra_1, extra_2]\n")
    problems = only(run_lint(tmp_path, flow, TRANSLATED_DIRECTORY + extra), "names 5 windows")
    assert len(problems) == 1 and "4 at most" in problems[0].message


# ------------------------------------------------------------------ through `soudan validate`

def test_validate_prints_lint_problems_in_github_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(lint_mod, "sample_times", lambda today: sample_times(TODAY))
    flow = ONE_CONTACT_FLOW.replace("fallback: [night_line]\n", "")
    line = line_of(flow, "contacts: [day_line]")
    f = write(tmp_path, "flows/t.yaml", flow)
    d = write(tmp_path, "directory/d.yaml", TRANSLATED_DIRECTORY)
    code = validate.main(argparse.Namespace(paths=[str(f), str(d)], format="github"))
    out = capsys.readouterr().out
    assert code == 1
    assert f"::error file={f},line={line}::result 'result-pupil': none of its windows" in out
    assert f"::warning file={f},line={line}::result 'result-pupil' names 1 window" in out


# ------------------------------------------------------------------ local-windows (issue #12)

LOCAL_ENTRY = """\
- id: local_line
  name: {ja: 県の窓口, en: Prefecture window}
  org: {ja: テスト県, en: Test prefecture}
  phones: ["027-212-0091"]
  hours: "24/7"
  hours_text: {ja: 24時間, en: 24 hours}
  cost: charged
  topics: [DEF, DIS]
  eligibility: {regions: [JP-10]}
  source: https://example.org/local
  verified: "2026-11-30"
"""


@pytest.mark.parametrize(("local", "warned"), [
    ("{topics: [DEF]}", False), ("{also: [DIS]}", False), ("{topics: [DIS]}", True), ("{topics: [NCII]}", True)])
def test_local_topics_that_match_no_regional_entry_warn(tmp_path: Path, local: str, warned: bool) -> None:
    flow = TWO_CONTACTS_FLOW.replace("      contacts: [day_line, night_line]\n",
                                     f"      contacts: [day_line, night_line]\n      local: {local}\n")
    problems = only(run_lint(tmp_path, flow, TRANSLATED_DIRECTORY + LOCAL_ENTRY), "asks for local windows")
    assert bool(problems) is warned
    if warned:
        assert problems[0].severity == "warning" and problems[0].line == line_of(flow, "local:")
