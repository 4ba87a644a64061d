"""Run every benchmark: ``.venv/bin/python -m bench`` (``make bench``)."""

from __future__ import annotations

import importlib
import sys

MODULES = ["bench.engine_bench", "bench.store_bench", "bench.line_bench"]


def main() -> int:
    """Run each benchmark module's ``main()`` in turn."""
    for name in MODULES:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            print(f"== {name}: not available ({exc})")
            continue
        print(f"== {name}")
        mod.main()
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
