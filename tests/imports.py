"""Which packages a piece of code imports, in a fresh interpreter (import-isolation tests)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def packages_imported(code: str, packages: Iterable[str]) -> list[str]:
    """The ones of ``packages`` (top-level names, e.g. ``"redis"``) that are in ``sys.modules`` after
    running ``code`` in a new interpreter from the project root, sorted.

    Raises:
        subprocess.CalledProcessError: when ``code`` fails.
    """
    wanted = sorted(set(packages))
    probe = (f"{code}\nimport json, sys\n"
             f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({wanted!r}))))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    found: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return found
