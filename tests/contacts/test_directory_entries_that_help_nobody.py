"""Fault: directory entries that help nobody loaded silently — no phone and no channel, no topic,
a foreign number, a source or mail address without a host, a negative age."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.contacts.directory import Directory, DirectoryError
from tests.conftest import TINY_DIRECTORY, write

NIGHT = TINY_DIRECTORY.split("- id: police_110")[0]


@pytest.mark.parametrize("old,new,words", [
    ('  phones: [{number: "0120-279-338"}]\n', "", "neither `phones` nor `channels`"),
    ("  topics: [DIS]\n", "  topics: []\n", "topics"),
    ('"0120-279-338"', '"+1-202-555-0100"', "not a Japanese number"),
    ("source: https://example.org/night", 'source: "https://"', "source must be the URL"),
    ('  phones: [{number: "0120-279-338"}]\n',
     '  channels: [{kind: mail, url: "mailto:"}]\n', "mailto:name@host"),
    ("  cost: free\n  topics: [DIS]\n", "  cost: free\n  topics: [DIS]\n  eligibility: {max_age: -5}\n", "max_age"),
])
def test_entries_that_help_nobody_are_refused(tmp_path: Path, old: str, new: str, words: str) -> None:
    text = NIGHT.replace(old, new, 1)
    assert text != NIGHT
    p = write(tmp_path, "directory/x.yaml", text)
    with pytest.raises(DirectoryError) as exc:
        Directory.load([p])
    assert words in str(exc.value) and f"{p}:" in str(exc.value)


def test_an_unquoted_short_code_is_explained(tmp_path: Path) -> None:
    p = write(tmp_path, "directory/x.yaml", NIGHT.replace('[{number: "0120-279-338"}]', "\n    - #9110"))
    with pytest.raises(DirectoryError) as exc:
        Directory.load([p])
    assert "`#` starts a comment" in str(exc.value)
