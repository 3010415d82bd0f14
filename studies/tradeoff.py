"""Initialisation vs query budget: the best performance predictor per budget cell.

    python studies/tradeoff.py                  # every embedded task with learning curves
    python studies/tradeoff.py --seeds 0-4      # more seeds (resumes from the store)

The same as `naspred tradeoff`; kept here so that every committed table in
tables/ has the script that made it. Needs a task with per-epoch curves and
epoch times (the embedded learning-curve benchmark made by `naspred
make-benchmark`). Writes tables/tradeoff/ (one sub-directory per task when there
are several), with a README.md describing each benchmark (size, accuracy spread,
Spearman with NAS-Bench-201's own accuracy when the Suite-Zero records are at
hand), and keeps its results store in results/tradeoff.jsonl, so a killed run
resumes.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from naspred.benchmarks import load_tasks
from naspred.benchmarks.learning_curves import TRAINING_NETWORK_SUFFIX
from naspred.errors import UnknownTaskError
from naspred.experiments.tradeoff import (
    DEFAULT_PREDICTORS,
    curve_benchmark_summary,
    run_tradeoff_study,
    write_tradeoff_tables,
)
from naspred.predictors.spec import PredictorSpec

ROOT = Path(__file__).resolve().parents[1]
TABLES = ROOT / "tables" / "tradeoff"
STORE = ROOT / "results" / "tradeoff.jsonl"


def _ints(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        lo, sep, hi = part.partition("-")
        out += list(range(int(lo), int(hi) + 1)) if sep else [int(lo)]
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", action="append", default=None, help="task name or pattern")
    parser.add_argument("--seeds", default="0-2")
    parser.add_argument("--train-sizes", default="10,30,100,300")
    parser.add_argument("--test-size", type=int, default=None)
    parser.add_argument("--store", type=Path, default=STORE)
    parser.add_argument(
        "--suite-zero-dir", type=Path, default=ROOT.parent / "shared/data/suite_zero"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    tasks = [t for t in load_tasks(args.task, embedded=True) if "epoch_time" in t.curves]
    if not tasks:
        raise SystemExit("no embedded task has learning curves with epoch times yet")
    # the proxies as the benchmark scored them on the network it then trains, with the
    # times recorded then: the trade-off prices a proxy on that network (the embedded
    # benchmark's live scores of the standard network keep the plain names)
    suffix = TRAINING_NETWORK_SUFFIX
    on_lcnet = {"omni:n_estimators=200": f"omni:n_estimators=200,proxy=jacov{suffix}",
                "zc:proxy=jacov": f"zc:proxy=jacov{suffix}",
                "zc:proxy=synflow": f"zc:proxy=synflow{suffix}"}  # fmt: skip
    specs = [PredictorSpec.parse(on_lcnet.get(p, p)) for p in DEFAULT_PREDICTORS]
    readme = [
        "# Init-vs-query trade-off: the benchmarks",
        "",
        f"Made by `{Path(__file__).name}`.",
        "",
    ]
    for task in tasks:
        results = run_tradeoff_study(
            task,
            specs,
            args.store,
            train_sizes=_ints(args.train_sizes),
            seeds=_ints(args.seeds),
            test_size=args.test_size,
        )
        out = TABLES if len(tasks) == 1 else TABLES / task.name.replace("/", "__")
        for path in write_tradeoff_tables(task, results, out):
            print(path)
        reference = None
        if args.suite_zero_dir.is_dir():
            published = f"{task.space}/{task.dataset}"
            try:
                [reference] = load_tasks(
                    [published], suite_zero=args.suite_zero_dir, embedded=False
                )
            except UnknownTaskError:
                pass  # the records hold no such task: no reference to compare with
        where = (out / "tradeoff.md").relative_to(TABLES)
        readme += [f"## {task.name}", "", *curve_benchmark_summary(task, reference)]
        readme += [f"Results: [{where}]({where}).", ""]
    (TABLES / "README.md").write_text("\n".join(readme))
    print(TABLES / "README.md")
