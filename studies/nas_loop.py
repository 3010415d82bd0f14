"""NAS loops with plugged-in predictors against random search and regularized evolution.

    python studies/nas_loop.py                          # -> tables/nas_loop/
    python studies/nas_loop.py --seeds 10 --budget 300  # more of the same
    python studies/nas_loop.py --replot                 # redraw from tables/nas_loop/nas_loop.csv

NAS-Bench-201 CIFAR-10 from the Suite-Zero records is the training oracle (a query
is a look-up of the arch's validation accuracy). Methods: random search,
regularized evolution, and the BANANAS-style loop of naspred.search with XGBoost
on the GRAF graph features, the BANANAS MLP ensemble and an exact GP.
The BANANAS ensemble has 3 members here (the predictor's default is 5), as in
NASLib's BANANAS runs, so that the study fits in a few minutes on one CPU core.
"""

from __future__ import annotations

import argparse
import logging
import warnings
from functools import partial
from pathlib import Path

import pandas as pd
import torch
from sklearn.exceptions import ConvergenceWarning

from naspred.experiments.nas_loop import run_search_experiment, write_search_outputs
from naspred.search import (
    BenchmarkOracle,
    predictor_guided_search,
    random_search,
    regularized_evolution,
)
from naspred.spaces import get_space

ROOT = Path(__file__).resolve().parents[1]
TABLES = ROOT / "tables" / "nas_loop"

METHODS = {
    "random search": random_search,
    "regularized evolution": regularized_evolution,
    "BANANAS loop + xgb (graph_features)": partial(
        predictor_guided_search, predictor="xgb", encoding="graph_features"
    ),
    "BANANAS loop + bananas (path, ITS)": partial(
        predictor_guided_search, predictor="bananas", predictor_kw={"ensemble_size": 3}
    ),
    "BANANAS loop + gp (adjacency, ITS)": partial(predictor_guided_search, predictor="gp"),
}

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--suite-zero-dir", type=Path, default=ROOT.parent / "shared" / "data" / "suite_zero"
    )
    parser.add_argument("--dataset", default="cifar10")
    parser.add_argument("--budget", type=int, default=150, help="oracle queries per run")
    parser.add_argument("--seeds", type=int, default=5, help="runs per method (seeds 0..n-1)")
    parser.add_argument("--out", type=Path, default=TABLES)
    parser.add_argument(
        "--store",
        type=Path,
        default=ROOT / "results" / "nas_loop.jsonl",
        help="journal of finished runs: a killed study resumes from it",
    )
    parser.add_argument(
        "--replot", action="store_true", help="rewrite summary and figure from <out>/nas_loop.csv"
    )
    args = parser.parse_args()

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    # one thread: the timings in the table are then those of one core, and other
    # jobs on the machine are left alone
    torch.set_num_threads(1)
    # the GP's noise level often hits its lower bound on these targets; not an error
    warnings.filterwarnings("ignore", category=ConvergenceWarning)

    oracle = BenchmarkOracle.from_suite_zero(args.suite_zero_dir, "nasbench201", args.dataset)
    if args.replot:
        history = pd.read_csv(args.out / "nas_loop.csv")
    else:
        history = run_search_experiment(
            oracle.task,
            get_space("nasbench201"),
            METHODS,
            budget=args.budget,
            seeds=range(args.seeds),
            store=args.store,
        )
    paths = write_search_outputs(
        history,
        args.out,
        title=f"NAS on NAS-Bench-201 {args.dataset}: best val accuracy found vs queries",
        optimum=oracle.best_possible,
        notes=(
            "BANANAS loop: 10 random archs, then per iteration the predictor is refitted on "
            "all queried archs, scores 100 candidates (80 single-edit mutations of the 10 best "
            "archs, 20 random) and the 10 best-scored are queried; probabilistic predictors "
            "rank by independent Thompson sampling. Regularized evolution: population 30, "
            "tournament 10. `run_s`: mean wall time of one run on one CPU thread."
        ),
    )
    for kind, path in paths.items():
        logging.info("%s: %s", kind, path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
