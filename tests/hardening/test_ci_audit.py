"""The dependency audit CI runs (``.ci/audit``, called by ``.ci/run`` after ``make test``).

pip-audit itself needs the advisory database on the network, so these tests put a stand-in in
its place (``PIP_AUDIT``) that answers as pip-audit does in each case: a vulnerability fails CI;
an unreachable database — pip-audit then either errors or reports every package as "not found
on PyPI" and still exits 0 — is a clear NOTICE and not a failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
AUDIT = ROOT / ".ci" / "audit"


def _stand_in(tmp_path: Path, report: dict[str, Any] | None, status: int, stderr: str = "") -> Path:
    """A fake pip-audit: writes ``report`` to the --output path, prints ``stderr``, exits ``status``."""
    script = tmp_path / "pip-audit"
    script.write_text(f"""#!{sys.executable}
import sys
args = sys.argv[1:]
assert "--skip-editable" in args and "--progress-spinner" in args, args
report = {json.dumps(report)!r}
if report != "null":
    open(args[args.index("--output") + 1], "w").write(report)
sys.stderr.write({stderr!r})
sys.exit({status})
""", encoding="utf-8")
    script.chmod(0o755)
    return script


def _run(tmp_path: Path, report: dict[str, Any] | None, status: int, stderr: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PIP_AUDIT": str(_stand_in(tmp_path, report, status, stderr)), "PYTHON": sys.executable}
    return subprocess.run(["bash", str(AUDIT)], env=env, capture_output=True, text=True, timeout=60)


CLEAN = {"dependencies": [{"name": "aiohttp", "version": "3.14.5", "vulns": []},
                          {"name": "pyyaml", "version": "6.0.2", "vulns": []}], "fixes": []}
VULNERABLE = {"dependencies": [
    {"name": "aiohttp", "version": "3.8.0", "vulns": [
        {"id": "PYSEC-2023-120", "fix_versions": ["3.8.5"], "aliases": ["CVE-2023-37276"], "description": "x"}]},
    {"name": "pyyaml", "version": "6.0.2", "vulns": []}], "fixes": []}
OFFLINE_SKIPS = {"dependencies": [
    {"name": n, "skip_reason": f"Dependency not found on PyPI and could not be audited: {n} (1.0)"}
    for n in ("aiohttp", "pyyaml", "redis")], "fixes": []}


def test_clean(tmp_path: Path) -> None:
    r = _run(tmp_path, CLEAN, 0)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2 packages audited, no known vulnerabilities" in r.stdout


def test_a_vulnerability_fails_and_is_named(tmp_path: Path) -> None:
    r = _run(tmp_path, VULNERABLE, 1, "Found 1 known vulnerability in 1 package\n")
    assert r.returncode == 1
    assert "VULNERABLE: aiohttp 3.8.0: PYSEC-2023-120 (CVE-2023-37276) — fixed in: 3.8.5" in r.stdout
    assert "FAILED" in r.stdout


def test_every_package_unaudited_means_offline_a_notice_not_a_pass(tmp_path: Path) -> None:
    """What pip-audit does here without access to PyPI's JSON API: exit 0, every package skipped."""
    r = _run(tmp_path, OFFLINE_SKIPS, 0)
    assert r.returncode == 0
    assert "NOTICE" in r.stdout and "NOT audited" in r.stdout
    assert "no known vulnerabilities" not in r.stdout


@pytest.mark.parametrize("stderr", [
    "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='pypi.org', port=443): Max retries exceeded\n",
    "pip_audit._service.interface.ServiceError: Temporary failure in name resolution\n",
])
def test_no_network_is_a_notice(tmp_path: Path, stderr: str) -> None:
    r = _run(tmp_path, None, 1, stderr)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "NOT audited" in r.stdout


def test_any_other_failure_fails(tmp_path: Path) -> None:
    r = _run(tmp_path, None, 2, "pip-audit: error: unrecognized arguments\n")
    assert r.returncode == 1
    assert "unrecognized arguments" in r.stderr


def test_missing_pip_audit_fails(tmp_path: Path) -> None:
    env = {**os.environ, "PIP_AUDIT": str(tmp_path / "nowhere" / "pip-audit"), "PYTHON": sys.executable}
    r = subprocess.run(["bash", str(AUDIT)], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "dev extra" in r.stderr


def test_ci_run_audits_after_the_tests() -> None:
    text = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert text.index("make test") < text.index(".ci/audit\n")
    assert os.access(AUDIT, os.X_OK)
