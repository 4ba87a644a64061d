"""The files other tests read from the repository are shipped, so that a lost file is a failure.

The flow, transcript, corpus and LINE tests once skipped themselves while these parts were being
written ("no shipped flows", "no transcripts shipped yet", "no corpus shipped"); a deleted or
moved folder would then have turned their regressions into skips. They now read the files
unconditionally, and this test names what is missing.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bot.settings import ROOT, Settings


def test_the_flows_directory_transcripts_and_corpus_are_shipped() -> None:
    settings = Settings(_env_file=None)
    assert settings.flow_paths(), f"no flow in {settings.flows_dir}"
    assert sorted(ROOT.glob("directory/*.yaml")), "no directory file in directory/"
    assert len(sorted((settings.flows_dir / "tests").glob("*.yaml"))) >= 50, "the transcripts in flows/tests/"
    assert sorted((ROOT / "flows" / "tests" / "nlu").glob("*.yaml")), "the labelled corpus flows/tests/nlu/"


def test_the_soudan_console_script_is_installed() -> None:
    exe = Path(sys.executable).parent / "soudan"
    assert exe.is_file(), f"{exe} is missing: run `make install` (pip install -e '.[test,dev]')"
