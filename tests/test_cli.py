"""The ``soudan`` command (``bot.cli.main``), run in this process through the ``soudan`` fixture
(tests/conftest.py), plus one subprocess test per entry point: the ``soudan`` console script and
``python -m bot``.

Faults a bad-input session found: tracebacks and wrong answers for odd values, fixed by kind.

- Times out of range (years 1, 9999) crashed the engine (OverflowError) in the CLI and gave a
  500 from the simulator API: every `--at`/`at` now takes years 2000–2100 only; `--at ""` is an
  error, not "now".
- The simulator API's faults are pinned in tests/web/test_api_bad_input.py.
- `SOUDAN_DEFAULT_FLOW` naming no flow, a port in use, a port out of range, and `| head` gave
  tracebacks.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Soudan


@pytest.mark.parametrize("at", ["9999-12-31T23:59", "0001-01-01T00:00+09:00", ""])
def test_cli_times_out_of_range_are_refused(at: str, soudan: Soudan) -> None:
    for cmd in (["chat", "--at", at], ["contacts", "--at", at]):
        p = soudan(*cmd)
        assert p.returncode == 2 and "Traceback" not in p.stderr, p.stderr
        assert "out of range" in p.stderr or "empty" in p.stderr


def test_unknown_default_flow_is_a_message_not_a_traceback(soudan: Soudan) -> None:
    for cmd in (["chat"], ["test"]):
        p = soudan(*cmd, env={"SOUDAN_DEFAULT_FLOW": "nosuch"})
        assert p.returncode in (1, 2) and "Traceback" not in p.stderr + p.stdout
        assert "default flow 'nosuch'" in p.stderr + p.stdout


def test_port_problems_are_messages(soudan: Soudan) -> None:
    p = soudan("serve", "--port", "99999")
    assert p.returncode == 2 and "out of range" in p.stderr
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        p = soudan("serve", "--port", str(port))
    assert p.returncode == 2 and "cannot listen" in p.stderr and "Traceback" not in p.stderr


def test_serve_refuses_a_result_no_one_can_reach_and_warns_about_the_rest(tmp_path: Path, soudan: Soudan) -> None:
    from tests.conftest import TINY_DIRECTORY, TINY_FLOW, write

    write(tmp_path, "flows/tiny.yaml", TINY_FLOW.replace("fallback: [night_line]\n", "")
          .replace('ask: {ja: あなたは？, en: "Who are you?"}', "ask: あなたは？"))
    write(tmp_path, "directory/test.yaml", TINY_DIRECTORY)
    p = soudan("serve", "--port", "1", env={"SOUDAN_FLOWS_DIR": str(tmp_path / "flows"),
                                         "SOUDAN_DIRECTORY_DIR": str(tmp_path / "directory")})
    assert p.returncode == 2
    assert f"{tmp_path}/flows/tiny.yaml:10: warning:" in p.stderr and "no English translation" in p.stderr
    assert "result 'result-pupil': none of its windows" in p.stderr


# ------------------------------------------------------------------ the entry points, as processes

def test_python_m_bot_and_a_closed_pipe_end_quietly() -> None:
    """``python -m bot`` reaches the CLI; ``soudan test | head -1`` closes the pipe early: no traceback."""
    p = subprocess.run(f"{sys.executable} -m bot test | head -1", shell=True, capture_output=True, text=True,
                       timeout=60)
    assert p.stdout.strip(), p.stderr  # `soudan test` printed its first line
    assert "Traceback" not in p.stderr and "BrokenPipe" not in p.stderr


def test_the_soudan_console_script_runs() -> None:
    cmd = [str(Path(sys.executable).parent / "soudan")]  # installed by `make install` (tests/flows/test_shipped_files.py)
    env = {k: v for k, v in os.environ.items() if k != "SOUDAN_DIRECTORY_DIR"}
    proc = subprocess.run([*cmd, "contacts", "--json", "--at", "2026-12-01T10:00+09:00", "--topic", "NCII"],
                          capture_output=True, text=True, env={**env, "TZ": "UTC"}, timeout=60, encoding="utf-8")
    assert proc.returncode == 0, proc.stderr
    items = {i["id"]: i for i in json.loads(proc.stdout)}
    assert items["moj_minna_110"]["status"] == "open"
    assert items["moj_minna_110"]["open_until"] == "2026-12-01T17:15:00+09:00"
    assert items["safeline"]["status"] == "24h"
    assert all("NCII" in i["topics"] for i in items.values())
