"""The examples in docs/writing-flows.md work against the shipped flows and directory."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from bot.contacts.model import Contact
from bot.loading import build_engine
from bot.settings import ROOT
from bot.toolkit.transcripts import run
from bot.yamlload import load_text

GUIDE = (ROOT / "docs" / "writing-flows.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```yaml\n(.*?)```", GUIDE, flags=re.S)
TRANSCRIPTS = [b for b in BLOCKS if "schema/transcript.schema.json" in b]
CONTACTS = [b for b in BLOCKS if b.startswith("- id:")]


def test_the_guide_has_both_languages_and_examples() -> None:
    assert "## 日本語" in GUIDE and "## English" in GUIDE
    assert len(TRANSCRIPTS) == 2 and len(CONTACTS) == 2


@pytest.mark.parametrize("text", TRANSCRIPTS, ids=["ja", "en"])
def test_the_example_transcript_passes(tmp_path: Path, text: str) -> None:
    p = tmp_path / "example.yaml"
    p.write_text(text, encoding="utf-8")
    engine = build_engine([ROOT / "flows"], [ROOT / "directory"])
    out = io.StringIO()
    assert run([p], engine, out) == 0, out.getvalue()


@pytest.mark.parametrize("text", CONTACTS, ids=["ja", "en"])
def test_the_example_window_is_a_valid_entry(text: str) -> None:
    [entry] = load_text(text).data
    Contact.model_validate(entry)
