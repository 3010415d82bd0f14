"""Start-up time of the quick commands, against ``import naspred`` measured in the same run.

    python perf/startup.py                    # this checkout, median of 5 runs each
    python perf/startup.py --before ../main   # and another checkout, runs taking turns

Each command runs in a fresh interpreter with ``PYTHONPATH`` set to the checkout;
the table gives the median wall time of ``--runs`` runs and its ratio to the
baseline, ``python -c "import naspred"`` (interpreter start-up plus the package's
light top level), so figures taken on a busy machine still compare.

Measured on the 2-core development machine while other jobs shared it (load average
3-4), ``--before`` main at 8774f45 (before these changes), median of 5:

| command                       | before s | after s | after / baseline |
|:------------------------------|---------:|--------:|-----------------:|
| python -c "import naspred"    |     0.05 |    0.07 |              1.0 |
| naspred --help                |     0.25 |    0.20 |              2.9 |
| naspred tasks                 |     4.99 |    1.37 |             19.3 |
| naspred proxies list          |     2.08 |    1.95 |             27.5 |
| load_tasks(['...cifar10-lc']) |     4.14 |    0.59 |              8.4 |

``naspred tasks`` no longer imports torch (``naspred/spaces/base.py`` needs it only
for annotations) and lists the NAS-Bench-Graph and AnalogNAS-Bench tasks from their
record counts instead of building them (enumerating 26,206 graph archs, a network per
NB201 cell); choosing tasks reads only the sources that can hold them, so a command
on one task skips the rest. ``proxies list`` no longer imports pandas, but still
torch (about 1.2 s of it): ``naspred.proxies.engine`` and most proxy modules import
torch at the top, so registering the proxies loads it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = 'python -c "import naspred"'
COMMANDS: dict[str, list[str]] = {
    BASELINE: ["-c", "import naspred"],
    "naspred --help": ["-m", "naspred", "--help"],
    "naspred tasks": ["-m", "naspred", "tasks"],
    "naspred proxies list": ["-m", "naspred", "proxies", "list"],
    "load_tasks(['...cifar10-lc'])": [
        "-c",
        "from naspred.benchmarks import load_tasks; load_tasks(['nasbench201/cifar10-lc'])",
    ],
}


def run_once(args: list[str], root: Path) -> float:
    """Wall seconds of ``python ARGS`` run in ``root`` with ``root`` first on the path
    (in the checkout: ``python -c``/``-m`` put the working directory first)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    env.pop("NASPRED_SUITE_ZERO_DIR", None)  # the embedded tasks, as a fresh install lists
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], env=env, cwd=root, check=True, capture_output=True)
    return time.perf_counter() - start


def medians(roots: list[Path], runs: int) -> dict[Path, dict[str, float]]:
    """Median seconds per checkout and command; the checkouts take turns run by run,
    so a change in the machine's load falls on all of them alike."""
    times: dict[Path, dict[str, list[float]]] = {r: {n: [] for n in COMMANDS} for r in roots}
    for _ in range(runs):
        for name, args in COMMANDS.items():
            for root in roots:
                times[root][name].append(run_once(args, root))
    return {r: {n: statistics.median(t) for n, t in by.items()} for r, by in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="another checkout to measure alongside")
    parser.add_argument("--runs", type=int, default=5, help="runs per command (median)")
    args = parser.parse_args()
    roots = [ROOT] + ([args.before.resolve()] if args.before else [])
    found = medians(roots, args.runs)
    after = found[ROOT]
    print(f"median of {args.runs} runs; this checkout {ROOT}", end="")
    print(f", before: {roots[1]}" if args.before else "")
    width = max(map(len, COMMANDS))
    head = f"| {'command':<{width}} |" + (" before s |" if args.before else "")
    print(head + " after s | after / baseline |")
    print(
        f"|:{'-' * (width + 1)}|"
        + ("---------:|" if args.before else "")
        + "--------:|"
        + "-" * 17
        + ":|"
    )
    for name in COMMANDS:
        before = f" {found[roots[1]][name]:8.2f} |" if args.before else ""
        ratio = after[name] / after[BASELINE]
        print(f"| {name:<{width}} |{before} {after[name]:7.2f} | {ratio:16.1f} |")


if __name__ == "__main__":
    main()
