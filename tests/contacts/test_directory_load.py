"""Loading directory files: every mistake is reported as file:line with the fix."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from bot.contacts.directory import Directory, DirectoryError
from bot.yamlload import LoadError

TODAY = dt.date(2026, 11, 30)

GOOD = """\
- id: day_line
  name: {ja: 平日の窓口, en: Weekday line}
  org: テスト機関
  phones: ["0570-003-110"]
  hours: "Mo-Fr 08:30-17:15; PH off; Dec 29-Jan 03 off"
  hours_text: 平日 8:30〜17:15
  cost: navi-dial
  topics: [DEF]
  source: https://example.org/day
  verified: "2026-11-30"
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def load_errors(*paths: Path, today: dt.date = TODAY) -> list[LoadError]:
    with pytest.raises(DirectoryError) as info:
        Directory.load(list(paths), today=today)
    return info.value.errors


def with_line(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new)


def test_good_file_loads(tmp_path: Path) -> None:
    d = Directory.load([write(tmp_path, "a.yaml", GOOD)], today=TODAY)
    assert d.ids == ("day_line",)
    assert d.get("day_line").phones[0].number == "0570-003-110"
    assert d.warnings == ()


def test_unquoted_phone_with_leading_zero_stays_text(tmp_path: Path) -> None:
    # YAML 1.1 would read 0570003110 as the octal number 98567752; the strict loader keeps it.
    p = write(tmp_path, "a.yaml", with_line('phones: ["0570-003-110"]', "phones: [0570003110]"))
    assert Directory.load([p], today=TODAY).get("day_line").phones[0].number == "0570003110"


def test_phone_as_a_bare_number_is_an_error_telling_to_quote(tmp_path: Path) -> None:
    p = write(tmp_path, "a.yaml", with_line('phones: ["0570-003-110"]', "phones: [110]"))
    [err] = load_errors(p)
    assert (err.path, err.line) == (str(p), 4)
    assert "must be text in quotes" in err.message and '"110"' in err.message
    assert str(err).startswith(f"{p}:4: error:")


def test_hours_written_as_a_bare_time(tmp_path: Path) -> None:
    # YAML 1.1 turns 9:00 into 540; here it stays "9:00", which is not an opening-hours expression.
    p = write(tmp_path, "a.yaml", with_line('hours: "Mo-Fr 08:30-17:15; PH off; Dec 29-Jan 03 off"',
                                            "hours: 9:00"))
    [err] = load_errors(p)
    assert err.line == 5
    assert "cannot read opening hours '9:00'" in err.message


def test_hours_as_a_number_is_an_error(tmp_path: Path) -> None:
    p = write(tmp_path, "a.yaml", with_line('hours: "Mo-Fr 08:30-17:15; PH off; Dec 29-Jan 03 off"',
                                            "hours: 540"))
    [err] = load_errors(p)
    assert err.line == 5 and "quotes" in err.message


def test_hours_that_do_not_parse(tmp_path: Path) -> None:
    p = write(tmp_path, "a.yaml", with_line('hours: "Mo-Fr 08:30-17:15; PH off; Dec 29-Jan 03 off"',
                                            'hours: "Mo-Fr 08:30-1715"'))
    [err] = load_errors(p)
    assert err.line == 5 and "cannot read opening hours" in err.message and "e.g." in err.message


def test_unquoted_date_stays_text_and_old_data_is_a_warning(tmp_path: Path) -> None:
    p = write(tmp_path, "a.yaml", with_line('verified: "2026-11-30"', "verified: 2025-01-01"))
    d = Directory.load([p], today=TODAY)
    assert d.get("day_line").verified == "2025-01-01"
    [w] = d.warnings
    assert (w.severity, w.line) == ("warning", 10)
    assert "more than a year" in w.message


def test_verified_within_a_year_is_no_warning(tmp_path: Path) -> None:
    p = write(tmp_path, "a.yaml", with_line('verified: "2026-11-30"', 'verified: "2025-12-01"'))
    assert Directory.load([p], today=TODAY).warnings == ()


def test_bad_date(tmp_path: Path) -> None:
    p = write(tmp_path, "a.yaml", with_line('verified: "2026-11-30"', 'verified: "30.11.2026"'))
    [err] = load_errors(p)
    assert err.line == 10 and "YYYY-MM-DD" in err.message


def test_duplicate_key(tmp_path: Path) -> None:
    p = write(tmp_path, "a.yaml", GOOD + "  cost: free\n")
    [err] = load_errors(p)
    assert err.line == 11 and "duplicate key 'cost'" in err.message and "line 7" in err.message


def test_unknown_key(tmp_path: Path) -> None:
    p = write(tmp_path, "a.yaml", with_line('phones: ["0570-003-110"]', 'phone: ["0570-003-110"]'))
    [err] = load_errors(p)
    assert err.line == 4 and "unknown key 'phone'" in err.message
    assert "(did you mean 'phones'?)" in err.message


def test_bad_phone(tmp_path: Path) -> None:
    p = write(tmp_path, "a.yaml", with_line('phones: ["0570-003-110"]', 'phones: ["0570-003-11"]'))
    [err] = load_errors(p)
    assert err.line == 4 and "'0570-003-11' is not a valid Japanese phone number" in err.message


def test_unknown_short_code(tmp_path: Path) -> None:
    p = write(tmp_path, "a.yaml", with_line('phones: ["0570-003-110"]', 'phones: ["#9999"]'))
    [err] = load_errors(p)
    assert err.line == 4 and "unknown short code '#9999'" in err.message


def test_phone_cost_must_match_the_number(tmp_path: Path) -> None:
    p = write(tmp_path, "a.yaml", with_line('phones: ["0570-003-110"]',
                                            'phones: [{number: "0570-003-110", cost: free}]'))
    [err] = load_errors(p)
    assert err.line == 4 and "navi-dial" in err.message


def test_hash_code_unquoted_is_a_yaml_error(tmp_path: Path) -> None:
    # `#9110` unquoted starts a comment: the list is left unclosed.
    p = write(tmp_path, "a.yaml", with_line('phones: ["0570-003-110"]', "phones: [#9110]"))
    [err] = load_errors(p)
    assert err.path == str(p) and "YAML syntax" in err.message


def test_duplicate_id_across_two_files_names_both(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", GOOD)
    b = write(tmp_path, "b.yaml", "# another file\n" + GOOD)
    [err] = load_errors(a, b)
    assert (err.path, err.line) == (str(b), 2)
    assert f"already defined at {a}:1" in err.message
    assert "duplicate contact id 'day_line'" in err.message


def test_every_error_is_reported_one_per_line(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", with_line('phones: ["0570-003-110"]', "phones: [110]"))
    b = write(tmp_path, "b.yaml", with_line("cost: navi-dial", "cost: cheap"))
    with pytest.raises(DirectoryError) as info:
        Directory.load([a, b], today=TODAY)
    lines = str(info.value).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{a}:4: error:") and lines[1].startswith(f"{b}:7: error:")


def test_file_that_is_not_a_list(tmp_path: Path) -> None:
    p = write(tmp_path, "a.yaml", "id: x\n")
    [err] = load_errors(p)
    assert "YAML list of contacts" in err.message


def test_missing_file(tmp_path: Path) -> None:
    [err] = load_errors(tmp_path / "nope.yaml")
    assert "cannot read" in err.message


def test_get_unknown_id(tmp_path: Path) -> None:
    d = Directory.load([write(tmp_path, "a.yaml", GOOD)], today=TODAY)
    with pytest.raises(KeyError, match="no contact 'nope'"):
        d.get("nope")
    assert "nope" not in d and "day_line" in d


def test_default_paths_follow_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "b.yaml", GOOD)
    write(tmp_path, "a.yaml", GOOD.replace("day_line", "other"))
    (tmp_path / "notes.txt").write_text("x")
    monkeypatch.setenv("SOUDAN_DIRECTORY_DIR", str(tmp_path))
    assert [p.name for p in Directory.default_paths()] == ["a.yaml", "b.yaml"]
    monkeypatch.delenv("SOUDAN_DIRECTORY_DIR")
    assert all(p.parent.name == "directory" for p in Directory.default_paths())
