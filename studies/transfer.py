"""Transfer study: fit a predictor on NB201 CIFAR-10, rank another task's archs.

    python studies/transfer.py [--suite-zero-dir ../shared/data/suite_zero]
        [--nb360-dir ../shared/data/suite_zero_nb360] [--graf-dir ../shared/data/graf]

Pairs (source -> target, over the archs both record): CIFAR-10 -> CIFAR-100
(Suite-Zero), CIFAR-10 -> CIFAR-10 ranked by edge-GPU latency (GRAF's hardware
targets, :meth:`naspred.benchmarks.Task.retarget`), and CIFAR-10 -> SVHN (the 199
NAS-Bench-360 archs), each where its data is present. Predictors XGBoost and random
forest on the GRAF features and the WL-kernel GP; source sizes 100 and 1,000;
k = 10 and 50 target archs; seeds 0-4; 1,000 test archs (99 for SVHN: half the
shared archs). Modes and protocol: :mod:`naspred.experiments.transfer`. Results go
to a store committed beside the tables, so a killed run resumes.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from naspred.benchmarks import load_suite_zero, load_tasks
from naspred.experiments.transfer import (
    run_transfer_study,
    stored_transfer_results,
    write_transfer_tables,
)
from naspred.predictors.spec import PredictorSpec

OUT = Path(__file__).resolve().parents[1] / "tables" / "transfer"
PREDICTORS = [
    PredictorSpec("xgb", {"encoding": "graph_features"}),
    PredictorSpec("rf", {"encoding": "graph_features"}),
    PredictorSpec("wl_gp"),
]
SIZES = [100, 1000]
TARGET_ARCHS = [10, 50]
SEEDS = [0, 1, 2, 3, 4]
TEST_SIZE = 1000
LATENCY = "edgegpu_latency"

log = logging.getLogger("studies.transfer")


def pairs(suite_zero: Path, nb360: Path, graf: Path) -> list:
    """The (source, target) pairs whose data is present."""
    found = {t.dataset: t for t in load_suite_zero(suite_zero / "zc_nasbench201.json")}
    source = found["cifar10"]
    chosen = [(source, found["cifar100"])]
    if graf.is_dir():
        [latency] = load_tasks(["nasbench201/cifar10"], suite_zero=suite_zero, graf=graf,
                               target=LATENCY)  # fmt: skip
        chosen.append((source, latency))
    else:
        log.warning("no GRAF data at %s: the latency pair is left out", graf)
    svhn = nb360 / "zc_nasbench201.json"
    if svhn.is_file():
        chosen += [(source, t) for t in load_suite_zero(svhn) if t.dataset == "svhn"]
    else:
        log.warning("no NAS-Bench-360 records at %s: the SVHN pair is left out", svhn)
    return chosen


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite-zero-dir", type=Path, default=Path("../shared/data/suite_zero"))
    parser.add_argument("--nb360-dir", type=Path, default=Path("../shared/data/suite_zero_nb360"))
    parser.add_argument("--graf-dir", type=Path, default=Path("../shared/data/graf"))
    parser.add_argument("--tabulate-only", action="store_true", help="tables from the store")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    chosen = pairs(args.suite_zero_dir, args.nb360_dir, args.graf_dir)
    store = OUT / "store.jsonl"
    if args.tabulate_only:
        results = stored_transfer_results(chosen, store, test_size=TEST_SIZE)
    else:
        results = run_transfer_study(
            chosen, PREDICTORS, SIZES, TARGET_ARCHS, SEEDS, store, test_size=TEST_SIZE
        )
    write_transfer_tables(results, OUT)
