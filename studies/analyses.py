"""What the proxies measure: NAS-Bench-Suite-Zero's bias, information and bias-correction
analyses (Krishnakumar et al., NeurIPS 2022 Datasets and Benchmarks).

    python studies/analyses.py --suite-zero-dir DIR  # -> tables/analyses/suite_zero
    python studies/analyses.py --graf-dir DIR        # -> tables/analyses/graf
    python studies/analyses.py --compare DIR         # -> tables/analyses/compare-<DIR's name>

The same as `naspred analyse`; kept here so that every committed table in tables/ has
the script that made it. The Suite-Zero run takes its NAS-Bench-201 tasks (CIFAR-10,
CIFAR-100 and ImageNet16-120 as the records hold them), the GRAF run GRAF's valid
cells (its `graf` protocol).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from naspred.benchmarks import load_tasks
from naspred.experiments.analyses import load_compare_tasks, run_analyses

TABLES = Path(__file__).resolve().parents[1] / "tables" / "analyses"

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--suite-zero-dir", type=Path)
    source.add_argument("--graf-dir", type=Path)
    source.add_argument("--compare", type=Path, help="a `naspred compare` output directory")
    args = parser.parse_args()
    if args.suite_zero_dir is not None:
        run_analyses(
            load_tasks(["nasbench201/*"], suite_zero=args.suite_zero_dir, embedded=False),
            TABLES / "suite_zero",
            title="What the proxies measure, NAS-Bench-Suite-Zero NAS-Bench-201",
        )
    elif args.graf_dir is not None:
        run_analyses(
            load_tasks(["nasbench201/*-graf"], graf=args.graf_dir, cells="valid"),
            TABLES / "graf",
            title="What the proxies measure, GRAF's valid NAS-Bench-201 cells",
        )
    else:
        where = args.compare if args.compare.is_dir() else args.compare.parent
        run_analyses(
            load_compare_tasks(args.compare),
            TABLES / f"compare-{where.resolve().name}",
            title=f"What the proxies measure, `naspred compare` output {where.resolve().name}",
        )
