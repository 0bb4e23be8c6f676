"""`make bench`: run every benchmark module in turn; each prints its own figures.

`python -m bench gateway` runs one. The machine is shared and noisy: read the ratios
against the baseline each module measures in the same run, not the absolute numbers.
"""

from __future__ import annotations

import importlib
import sys
import time

MODULES = ("gateway", "production", "sync", "quality", "catalog", "field", "partner")


def main(argv: list[str]) -> int:
    wanted = argv or list(MODULES)
    failed = []
    for name in wanted:
        try:
            module = importlib.import_module(f"bench.{name}_bench")
        except ModuleNotFoundError:
            print(f"== {name}: no benchmark yet")
            continue
        print(f"\n== {name} ==", flush=True)
        start = time.perf_counter()
        try:
            module.main()
        except Exception as exc:  # one failing benchmark must not hide the others' figures
            failed.append(name)
            print(f"!! {name} failed: {exc!r}")
        print(f"== {name} took {time.perf_counter() - start:.1f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
