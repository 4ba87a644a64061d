"""A small flow and directory written to files, and the engine built from them.

Shared by the store tests and by the child processes they start (``restart`` tests), so both
sides run the very same engine. Not a test module.
"""

from __future__ import annotations

from pathlib import Path

from bot import loading
from bot.engine.core import Engine

DIRECTORY = """\
- id: night_line
  name: 24時間の窓口
  org: テスト機関
  phones:
    - number: "0120-279-338"
  hours: "24/7"
  hours_text: 24時間
  cost: free
  topics: [DIS]
  source: https://example.org/night
  verified: "2026-11-30"
- id: police_110
  name: 警察 110番
  org: 警察
  phones:
    - number: "110"
  hours: "24/7"
  hours_text: 24時間
  cost: free
  topics: [EMG]
  source: https://example.org/110
  verified: "2026-11-30"
"""

FLOW = """\
id: store-test
title: ストアのテスト
version: "{version}"
start: who
fallback: [night_line]
states:
  who:
    ask: あなたは？
    save_as: who
    choices:
      - id: pupil
        label: 学生
        goto: what
      - id: adult
        label: おとな
        goto: what
  what:
    ask: 何がありましたか？
    choices:
      - id: insult
        label: 悪口を書かれた
        goto: {what_next}
      - id: other
        label: ほかのこと
        goto: result-adult
{when_state}  result-pupil:
    refer:
      text: 学生の相談先です。
      contacts: [night_line]
  result-adult:
    refer:
      text: おとなの相談先です。
      contacts: [night_line]
"""

WHEN_STATE = """\
  when:
    ask: いつからですか？
    choices:
      - id: recent
        label: 最近
        goto:
          - when:
              who: pupil
            to: result-pupil
          - to: result-adult
      - id: long
        label: ずっと前から
        goto: result-adult
"""

QUESTIONS = {"who": "あなたは？", "what": "何がありましたか？", "when": "いつからですか？"}
"""The question text of each ask state."""

PATH_1_1_1 = ["what", "when", "result-pupil"]
"""States reached by answering "1" three times from the start."""


def write_files(root: Path, *, version: str = "1", with_when: bool = True) -> tuple[Path, Path]:
    """Write ``root/flows/store-test.yaml`` and ``root/directory/test.yaml``.

    Args:
        root: a folder (``tmp_path``).
        version: the flow's ``version``.
        with_when: False removes the ``when`` state (a new release that dropped a state).

    Returns:
        ``(flows_dir, directory_dir)``.
    """
    flows, directory = root / "flows", root / "directory"
    flows.mkdir(parents=True, exist_ok=True)
    directory.mkdir(parents=True, exist_ok=True)
    text = FLOW.format(version=version, what_next="when" if with_when else "result-pupil",
                       when_state=WHEN_STATE if with_when else "")
    (flows / "store-test.yaml").write_text(text, encoding="utf-8")
    (directory / "test.yaml").write_text(DIRECTORY, encoding="utf-8")
    return flows, directory


def build_engine(flows_dir: Path, directory_dir: Path, idle_timeout: float = 3600.0) -> Engine:
    """The engine over the files of :func:`write_files` (strict loading, like ``soudan serve``)."""
    return loading.build_engine([flows_dir], [directory_dir], idle_timeout=idle_timeout)
