"""Regression: two directory files defining the same contact id.

The kind of fault: a later file silently replacing an entry of an earlier one. The load must fail
with an error that names both files (and lines), so the author knows which two to reconcile.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.contacts.directory import Directory, DirectoryError
from bot.loading import load_all
from tests.conftest import TINY_DIRECTORY, TINY_FLOW, write

EXTRA = """\
- id: night_line
  name: 別の24時間窓口
  org: 別の機関
  phones: [{number: "0120-279-338"}]
  hours: "24/7"
  hours_text: 24時間
  cost: free
  topics: [DIS]
  source: https://example.org/other
  verified: "2026-11-30"
"""


def test_the_load_error_names_both_files(tmp_path: Path) -> None:
    a = write(tmp_path, "directory/a-national.yaml", TINY_DIRECTORY)
    b = write(tmp_path, "directory/b-local.yaml", EXTRA)
    with pytest.raises(DirectoryError) as info:
        Directory.load([a, b])
    [err] = [e for e in info.value.errors if "night_line" in str(e)]
    text = str(err)
    assert text.startswith(f"{b}:1:")  # where the second definition is
    assert f"{a}:" in text  # and where the first one is
    assert "duplicate contact id 'night_line'" in text


def test_serve_and_validate_refuse_it_too(tmp_path: Path) -> None:
    """``load_all`` (what ``soudan serve``/``validate`` use) raises DirectoryError with the same message."""
    a = write(tmp_path, "directory/a.yaml", TINY_DIRECTORY)
    b = write(tmp_path, "directory/b.yaml", EXTRA)
    flow = write(tmp_path, "flows/tiny.yaml", TINY_FLOW)
    with pytest.raises(DirectoryError) as info:
        load_all([flow], [a, b])
    assert any(str(a) in str(e) and str(b) in str(e) for e in info.value.errors)
