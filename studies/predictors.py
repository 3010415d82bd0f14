"""Predictor study on NAS-Bench-201 CIFAR-10 (White et al., NeurIPS 2021, Fig. 2 style).

    python studies/predictors.py [--suite-zero-dir ../shared/data/suite_zero]

Every model-based predictor with its default encoding (the ``ensemble`` of XGBoost,
a random forest and the WL-kernel GP included), plus the tree, GP and MLP
models on the GRAF graph features, XGBoost on them at learning rate 0.05, the
Suite-Zero "ZC + XGBoost" predictor and zero-cost baselines on the proxies every
arch carries (the stored ``zen``, and ``params``/``flops`` of our networks, which
equal the stored values where those
exist); training sets 10..1000 (log-spaced), a fixed
1,000-arch test set per seed, seeds 0-4. Results go to a store committed beside
the tables, so a killed or unfinished run resumes where it stopped.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from naspred.benchmarks import load_tasks, with_complexity
from naspred.experiments.predictors import (
    run_predictor_study,
    stored_predictor_results,
    write_predictor_tables,
)
from naspred.predictors import model_based_predictors
from naspred.predictors.spec import PredictorSpec

OUT = Path(__file__).resolve().parents[1] / "tables" / "predictors"
GRAF = ["xgb", "rf", "lgb", "ngb", "sparse_gp", "mlp"]
SIZES = [10, 20, 50, 100, 200, 500, 1000]
SEEDS = [0, 1, 2, 3, 4]
TEST_SIZE = 1000
# proxies stored or computed for all 15,625 cells, so train/test sets span the space
EVERY_ARCH_PROXIES = ("zen", "params", "flops")

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite-zero-dir", type=Path, default=Path("../shared/data/suite_zero"))
    parser.add_argument("--tabulate-only", action="store_true", help="tables from the store")
    args = parser.parse_args()
    tasks = [
        with_complexity(t)
        for t in load_tasks(["nasbench201/cifar10"], suite_zero=args.suite_zero_dir)
    ]
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
    store = OUT / "nb201_cifar10_store.jsonl"
    if args.tabulate_only:
        results = stored_predictor_results(tasks, store, test_size=TEST_SIZE)
    else:
        results = run_predictor_study(tasks, specs, SIZES, SEEDS, store, test_size=TEST_SIZE)
    write_predictor_tables(results, OUT)
