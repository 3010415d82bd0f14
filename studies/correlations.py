"""Zero-cost proxy correlation study (NAS-Bench-Suite-Zero style tables and heatmaps).

    python studies/correlations.py                       # -> tables/correlations/embedded
    python studies/correlations.py --suite-zero-dir DIR  # -> tables/correlations/suite_zero
                                                         #    and .../suite_zero_failed_as_worst
    python studies/correlations.py --graf-dir DIR        # -> tables/correlations/graf

The same as `naspred correlations`; kept here so that every committed table in
tables/ has the script that made it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from naspred.benchmarks import load_tasks
from naspred.experiments import run_correlation_study

TABLES = Path(__file__).resolve().parents[1] / "tables" / "correlations"

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite-zero-dir", type=Path, default=None)
    parser.add_argument("--graf-dir", type=Path, default=None)
    args = parser.parse_args()
    if args.graf_dir is not None:
        # GRAF's protocol (the `graf` preset): its valid cells, failures left out
        run_correlation_study(
            load_tasks(["nasbench201/*-graf"], graf=args.graf_dir, cells="valid"),
            TABLES / "graf",
            title="Public zero-cost proxies on GRAF's valid NAS-Bench-201 cells",
        )
    elif args.suite_zero_dir is None:
        run_correlation_study(
            load_tasks(embedded=True),
            TABLES / "embedded",
            title="Proxy correlations, embedded benchmarks",
        )
    else:
        tasks = load_tasks(suite_zero=args.suite_zero_dir, embedded=False)
        run_correlation_study(
            tasks,
            TABLES / "suite_zero",
            title="Zero-cost proxy correlations, NAS-Bench-Suite-Zero",
        )
        # the Suite-Zero notebooks' convention: the runner's -1e8 failures ranked last
        run_correlation_study(
            tasks,
            TABLES / "suite_zero_failed_as_worst",
            title="Zero-cost proxy correlations, NAS-Bench-Suite-Zero, failures ranked last",
            failed_as_worst=True,
        )
