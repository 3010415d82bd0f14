"""Predictor study on NAS-Bench-201 CIFAR-10 (White et al., NeurIPS 2021, Fig. 2 style).

    python studies/predictors.py [--suite-zero-dir ../shared/data/suite_zero]
    python studies/predictors.py --cells valid     # GRAF's valid cells, tables/predictors/valid

Every model-based predictor with its default encoding (the ``ensemble`` of XGBoost,
a random forest and the WL-kernel GP included), plus the tree, GP and MLP
models on the GRAF graph features, XGBoost on them at learning rate 0.05, the
Suite-Zero "ZC + XGBoost" predictor and zero-cost baselines on the proxies every
arch carries (the stored ``zen``, and ``params``/``flops`` of our networks, which
equal the stored values where those
exist); training sets 10..1000 (log-spaced), a fixed
1,000-arch test set per seed, seeds 0-4. Results go to a store committed beside
the tables, so a killed or unfinished run resumes where it stopped.

``--cells valid`` runs the same predictors on GRAF's 9,445 valid cells
(``nasbench201/cifar10-valid``: NB201 cells with no unreachable operation, the cells
GRAF's tables count; Kadlecová et al., ICML 2024) at :data:`VALID_SIZES`, with the same
target, seeds and test-set size, into ``tables/predictors/valid/``, and writes
``valid/beside_all.md``: each predictor's Kendall there beside the all-cells study's.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from naspred.benchmarks import load_tasks, with_complexity
from naspred.experiments.predictors import (
    run_predictor_study,
    stored_predictor_results,
    write_predictor_tables,
)
from naspred.predictors import model_based_predictors
from naspred.predictors.spec import PredictorSpec
from naspred.reports.predictors import protocol_table

OUT = Path(__file__).resolve().parents[1] / "tables" / "predictors"
GRAF = ["xgb", "rf", "lgb", "ngb", "sparse_gp", "mlp"]
SIZES = [10, 20, 50, 100, 200, 500, 1000]
#: the valid-cell study's sizes: the two the issue's targets name, and the smallest
VALID_SIZES = [10, 100, 1000]
SEEDS = [0, 1, 2, 3, 4]
TEST_SIZE = 1000
# proxies stored or computed for all 15,625 cells, so train/test sets span the space
EVERY_ARCH_PROXIES = ("zen", "params", "flops")

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite-zero-dir", type=Path, default=Path("../shared/data/suite_zero"))
    parser.add_argument("--tabulate-only", action="store_true", help="tables from the store")
    parser.add_argument(
        "--cells", choices=["all", "valid"], default="all", help="all cells or GRAF's valid ones"
    )
    args = parser.parse_args()

    def tasks_of(cells: str) -> list:
        names = ["nasbench201/cifar10"]
        loaded = load_tasks(names, suite_zero=args.suite_zero_dir, cells=cells)
        return [with_complexity(t) for t in loaded]

    tasks = tasks_of(args.cells)
    specs = [PredictorSpec(n) for n in model_based_predictors()]
    specs += [PredictorSpec(n, {"encoding": "graph_features"}) for n in GRAF]
    # XGBoost on GRAF features at a lower learning rate than NASLib's 0.3 (the
    # `ensemble` above, from model_based_predictors(), averages it with a random forest
    # and the WL-kernel GP)
    specs += [PredictorSpec("xgb", {"encoding": "graph_features", "learning_rate": 0.05})]
    zc = ",".join(EVERY_ARCH_PROXIES)
    specs += [
        PredictorSpec("zc_xgb", {"proxies": EVERY_ARCH_PROXIES}, label=f"zc_xgb({zc})"),
        PredictorSpec(
            "zc_xgb",
            {"proxies": EVERY_ARCH_PROXIES, "encoding": "graph_features"},
            label=f"zc_xgb({zc},encoding=graph_features)",
        ),
    ]
    specs += [PredictorSpec(f"zc:{name}") for name in EVERY_ARCH_PROXIES]
    all_store = OUT / "nb201_cifar10_store.jsonl"
    out = OUT if args.cells == "all" else OUT / "valid"
    store = all_store if args.cells == "all" else out / "store.jsonl"
    sizes = SIZES if args.cells == "all" else VALID_SIZES
    if args.tabulate_only:
        results = stored_predictor_results(tasks, store, test_size=TEST_SIZE)
    else:
        results = run_predictor_study(tasks, specs, sizes, SEEDS, store, test_size=TEST_SIZE)
    write_predictor_tables(results, out)
    if args.cells == "valid":
        every = stored_predictor_results(tasks_of("all"), all_store, test_size=TEST_SIZE)
        both = pd.concat([every, results], ignore_index=True)
        (out / "beside_all.md").write_text(
            "# Kendall tau on all NB201 cells beside GRAF's valid cells\n\n"
            "NB201 CIFAR-10 `val_accuracy`; mean ± std over seeds 0-4, 1,000 held-out "
            "archs per seed drawn from each task's own cells (`studies/predictors.py`, "
            "`--cells valid`).\n\n" + protocol_table(both, VALID_SIZES) + "\n"
        )
