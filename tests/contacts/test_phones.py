"""Phone numbers (bot.contacts.phones): validation as written, short codes, tel: links, charge type."""

from __future__ import annotations

import pytest

from bot.contacts.phones import SHORT_CODES, call_cost, digits, needs_manual_dial, tel_uri, validate_number


@pytest.mark.parametrize("number", [
    "0120-0-78310", "0570-003-110", "027-212-0091", "03-5467-2455", "0120-99-7777", "0570-078374",
    "042-522-4232", "0279-25-8526", "0120-8891-77", "0570003110",
])
def test_valid_numbers_are_kept_as_written(number: str) -> None:
    assert validate_number(number) == number


@pytest.mark.parametrize("code", ["110", "119", "189", "188", "#9110", "#8103", "#8891", "#8008"])
def test_allowed_short_codes(code: str) -> None:
    assert validate_number(code) == code
    assert code in SHORT_CODES


@pytest.mark.parametrize(("number", "message"), [
    ("#9999", "unknown short code '#9999'"),
    ("117", "unknown short code '117'"),
    ("0570-003-11", "not a valid Japanese phone number"),
    ("03-1234-567", "not a valid Japanese phone number"),
    ("０３-5467-2455", "half-width digits"),
    ("03 5467 2455", "half-width digits"),
    ("0120-783-556（フリーダイヤル）", "put any description in the phone's label"),
])
def test_invalid_numbers_say_what_to_fix(number: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        validate_number(number)
    assert message in str(info.value)


@pytest.mark.parametrize(("number", "uri"), [
    ("0570-003-110", "tel:0570003110"),
    ("0120-0-78310", "tel:0120078310"),
    ("#9110", "tel:%239110"),
    ("#8891", "tel:%238891"),
    ("110", "tel:110"),
])
def test_tel_uri(number: str, uri: str) -> None:
    assert tel_uri(number) == uri


def test_hash_codes_need_the_number_shown() -> None:
    # The iOS Phone app will not dial a tel: link containing '#'.
    assert needs_manual_dial("#9110")
    assert not needs_manual_dial("0570-003-110")


@pytest.mark.parametrize(("number", "cost"), [
    ("0120-0-78310", "free"), ("0570-003-110", "navi-dial"), ("03-5467-2455", "charged"),
    ("#9110", None), ("188", None),
])
def test_call_cost_from_the_number(number: str, cost: str | None) -> None:
    assert call_cost(number) == cost


def test_digits() -> None:
    assert digits("0570-003-110") == "0570003110"
    assert digits("#9110") == "#9110"
