"""Strict flow loading: every YAML trap and broken reference gives ``file:line`` and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine.flow import FlowError, load_flow, load_flows
from bot.yamlload import LoadError, load_text
from tests.conftest import TINY_FLOW, write

CONTACTS = ["day_line", "night_line", "police_110"]


def errors_for(tmp_path: Path, text: str, contacts: list[str] | None = CONTACTS) -> list[LoadError]:
    f = write(tmp_path, "flows/broken.yaml", text)
    lf, errs = load_flow(f, contacts)
    assert lf is None, "a broken flow must be refused"
    assert errs
    return errs


def one(errs: list[LoadError]) -> LoadError:
    assert len(errs) == 1, [str(e) for e in errs]
    return errs[0]


def test_the_tiny_flow_loads(tmp_path: Path) -> None:
    f = write(tmp_path, "flows/tiny.yaml", TINY_FLOW)
    lf, errs = load_flow(f, CONTACTS)
    assert errs == [] and lf is not None
    assert lf.flow.states["what"].choices[0].id == "yes"  # type: ignore[index]  # YAML 1.1 would say True


@pytest.mark.parametrize("text,expected", [
    ("a: 9:00", "9:00"), ("a: no", "no"), ("a: 0570003110", "0570003110"), ("a: 12", 12), ("a: 2026-01-01", "2026-01-01"),
    ("a: off", "off"), ("a: '#9110'", "#9110"), ("a: 1.5", 1.5), ("a: true", True), ("a: ~", None),
])
def test_strict_scalars(text: str, expected: object) -> None:
    assert load_text(text).data == {"a": expected}


def test_unquoted_short_code_is_a_comment_and_reported(tmp_path: Path) -> None:
    err = one(errors_for(tmp_path, TINY_FLOW.replace("start: who", "start: #who")))
    assert err.line == 3 and "start" in err.message


def test_duplicate_key_names_both_lines(tmp_path: Path) -> None:
    err = one(errors_for(tmp_path, TINY_FLOW.replace("start: who\n", "start: who\nstart: what\n")))
    assert (err.line, "duplicate key 'start'" in err.message, "line 3" in err.message) == (4, True, True)
    assert str(err).startswith(f"{tmp_path}/flows/broken.yaml:4: error:")


def test_unknown_key_is_named_with_its_line(tmp_path: Path) -> None:
    err = one(errors_for(tmp_path, TINY_FLOW.replace("    save_as: who\n", "    save_as: who\n    saveas: x\n")))
    assert err.line == 13 and "unknown key 'states.who.saveas'" in err.message
    assert "(did you mean 'save_as'?)" in err.message


def test_a_misspelt_label_suggests_label(tmp_path: Path) -> None:
    """`lable:` said only "check the spelling" (trial 2026-12-02); goto and contacts suggested already."""
    text = TINY_FLOW.replace("{id: pupil, label:", "{id: pupil, lable:", 1)
    assert text != TINY_FLOW
    errs = errors_for(tmp_path, text)  # and "missing required key ...label"
    assert any("lable'" in e.message and "(did you mean 'label'?)" in e.message for e in errs), errs


def test_number_where_text_belongs_says_to_quote(tmp_path: Path) -> None:
    bad = TINY_FLOW.replace('ask: {ja: あなたは？, en: "Who are you?"}', "ask: 12345")
    err = one(errors_for(tmp_path, bad))
    assert err.line == 11 and "quote" in err.message


def test_boolean_label_is_refused(tmp_path: Path) -> None:
    bad = TINY_FLOW.replace('{id: other, label: {ja: いいえ, en: "No"}', "{id: other, label: false")
    err = one(errors_for(tmp_path, bad))
    assert err.line == 25 and "quote" in err.message


def test_goto_to_a_missing_state(tmp_path: Path) -> None:
    err = one(errors_for(tmp_path, TINY_FLOW.replace("goto: result-adult}", "goto: nowhere}")))
    assert err.line == 25 and "'nowhere', which is not a state" in err.message


def test_missing_contact(tmp_path: Path) -> None:
    err = one(errors_for(tmp_path, TINY_FLOW.replace("contacts: [day_line]", "contacts: [day_lime]")))
    assert err.line == 32 and "'day_lime' is not in the directory" in err.message


def test_unreachable_state(tmp_path: Path) -> None:
    extra = TINY_FLOW + "  orphan:\n    refer:\n      text: x\n      contacts: [night_line]\n"
    err = one(errors_for(tmp_path, extra))
    assert err.line == 38 and "cannot be reached" in err.message


def test_ask_without_choices_has_no_way_out(tmp_path: Path) -> None:
    bad = TINY_FLOW.replace("""    say: {ja: 学生向けの窓口です。, en: Lines for students.}
    next: result-pupil""", """    ask: 行き止まり""")
    err = one(errors_for(tmp_path, bad))
    assert err.line == 26 and "no way out" in err.message


def test_dead_end_loop_is_refused(tmp_path: Path) -> None:
    bad = TINY_FLOW.replace("next: result-pupil", "next: loop") + (
        "  loop:\n    ask: ずっと\n    choices:\n      - {id: again, label: もう一度, goto: loop}\n")
    errs = errors_for(tmp_path, bad)
    assert any("'intro'" in e.message and "stuck" in e.message for e in errs)
    assert any("'loop'" in e.message and "stuck" in e.message for e in errs)


def test_condition_on_an_unknown_value(tmp_path: Path) -> None:
    err = one(errors_for(tmp_path, TINY_FLOW.replace("when: {who: pupil}", "when: {who: student}")))
    assert err.line == 23 and "never 'student'" in err.message


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    err = one(errors_for(tmp_path, TINY_FLOW.replace("states:\n", "states:\n  - [\n", 1)))
    assert err.line >= 10 and "YAML syntax" in err.message


def test_python_tags_are_refused(tmp_path: Path) -> None:
    err = one(errors_for(tmp_path, "id: !!python/object/apply:os.system ['echo hi']\n"))
    assert "tags" in err.message


def test_two_files_with_one_flow_id_name_both(tmp_path: Path) -> None:
    a = write(tmp_path, "flows/a.yaml", TINY_FLOW)
    b = write(tmp_path, "flows/b.yaml", TINY_FLOW)
    with pytest.raises(FlowError) as exc:
        load_flows([a, b], CONTACTS)
    assert f"{b}:1" in str(exc.value) and f"{a}:1" in str(exc.value)


def test_non_utf8_file(tmp_path: Path) -> None:
    p = tmp_path / "flows" / "sjis.yaml"
    p.parent.mkdir()
    p.write_bytes("id: テスト".encode("shift_jis"))
    lf, errs = load_flow(p, CONTACTS)
    assert lf is None and "not UTF-8" in errs[0].message


# ---------------------------------------------------------------- what the flow author sees (#15)

def test_a_misspelt_state_name_suggests_the_nearest(tmp_path: Path) -> None:
    f = write(tmp_path, "flows/broken.yaml", TINY_FLOW.replace("goto: what}", "goto: whta}", 1))
    lf, errs = load_flow(f, CONTACTS)
    assert lf is None and [str(e) for e in errs] == [
        f"{f}:14: error: choice 'pupil' goes to 'whta', which is not a state of this flow (did you mean 'what'?)"]
    assert errs[0].code == "unknown-state"


def test_a_state_name_like_no_other_gets_no_suggestion(tmp_path: Path) -> None:
    err = one(errors_for(tmp_path, TINY_FLOW.replace("next: result-pupil", "next: zzz")))
    assert err.message == "`next` goes to 'zzz', which is not a state of this flow" and err.line == 28


def test_a_misspelt_contact_id_suggests_the_nearest(tmp_path: Path) -> None:
    err = one(errors_for(tmp_path, TINY_FLOW.replace("contacts: [day_line]", "contacts: [day_lime]")))
    assert err.message == ("contact 'day_lime' is not in the directory (directory/*.yaml); check the id "
                           "(did you mean 'day_line'?)")
    assert err.code == "unknown-contact"


def test_each_rule_has_its_code(tmp_path: Path) -> None:
    unreachable = TINY_FLOW + "  lonely:\n    say: ひとり\n    next: result-adult\n"
    assert [e.code for e in errors_for(tmp_path, unreachable)] == ["unreachable-state"]
    loop = TINY_FLOW.replace("next: result-pupil", "next: intro")
    assert "say-loop" in {e.code for e in errors_for(tmp_path, loop)}
    assert [e.code for e in errors_for(tmp_path, "- a\n")] == ["not-a-mapping"]
    assert [e.code for e in errors_for(tmp_path, TINY_FLOW.replace("save_as: who", "save_as: Who"))] == [
        "bad-slot-name", "unknown-slot"]
