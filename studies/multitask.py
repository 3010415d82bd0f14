"""The predictor study over every task the installation has, with a cross-task summary.

    python studies/multitask.py [--suite-zero-dir ../shared/data/suite_zero] \\
        [--graf-dir ../shared/data/graf] [--backend local --n-jobs 4]

The nine NAS-Bench-Graph datasets, AnalogNAS-Bench, the learning-curve benchmark, the
Suite-Zero tasks, GRAF's valid NB201 cells, and NB201 ranked by Edge-GPU latency and
PGD accuracy (GRAF's release): fast tree, GP, neural and zero-cost predictors,
training sets of 10-1,000 archs, a 200-arch test set per task and seed (White et
al., NeurIPS 2021), seeds 0-2. Writes tables/predictors/multitask/: a section per
task (tasks/), the mean rank of each predictor across tasks per training size
(summary.md/csv/png) and the protocol (README.md). Results go to a store beside
the tables, so a rerun resumes. A task family whose data is missing stops the run
at once, saying what is there.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from naspred.benchmarks import all_tasks, require_tasks
from naspred.benchmarks.nasbench_graph import DATASETS
from naspred.experiments.predictors import run_predictor_study, write_multitask_tables
from naspred.predictors.spec import PredictorSpec

OUT = Path(__file__).resolve().parents[1] / "tables" / "predictors" / "multitask"
# what the study covers: each pattern must match a loaded task
EXPECTED = [
    *(f"nasbench_graph/{d}" for d in DATASETS),
    "nasbench201/analognas_cifar10",
    "nasbench201/cifar10-lc",
    "nasbench101/*",
    "nasbench201/cifar10",
    "nasbench201/cifar100",
    "nasbench301/*",
    "transbench101_micro/*",
    "transbench101_macro/*",
    "nasbench201/cifar10-graf",
    "nasbench201/cifar10@edgegpu_latency",
    "nasbench201/cifar10@pgd@Linf_eps-1.0",
]
# fast enough for ~23 tasks x 3 seeds x 7 sizes on two cores: an encoding contrast
# (adjacency vs GRAF features), a bagged ensemble, a graph-kernel GP, two neural
# predictors (an MLP on the adjacency encoding; GATES, the best at 1,000 archs on
# NB201 CIFAR-10), two cost baselines
SPECS = [
    PredictorSpec("xgb"),
    PredictorSpec("xgb", {"encoding": "graph_features"}),
    PredictorSpec("rf", {"encoding": "graph_features"}),
    PredictorSpec("wl_gp"),
    PredictorSpec("mlp"),
    PredictorSpec("gates"),
    PredictorSpec("zc:params"),
    PredictorSpec("zc:flops"),
]
SIZES = [10, 20, 50, 100, 200, 500, 1000]
SEEDS = [0, 1, 2]
TEST_SIZE = 200
COMMAND = (
    "python studies/multitask.py --suite-zero-dir ../shared/data/suite_zero "
    "--graf-dir ../shared/data/graf"
)

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite-zero-dir", type=Path, default=Path("../shared/data/suite_zero"))
    parser.add_argument("--graf-dir", type=Path, default=Path("../shared/data/graf"))
    parser.add_argument("--backend", default="serial", choices=["serial", "local", "ray"])
    parser.add_argument("--n-jobs", type=int, default=None)
    parser.add_argument("--retry-failed", action="store_true", help="rerun failed cells")
    args = parser.parse_args()
    tasks = all_tasks(suite_zero=args.suite_zero_dir, graf=args.graf_dir)
    require_tasks(tasks, EXPECTED)
    results = run_predictor_study(
        tasks,
        SPECS,
        SIZES,
        SEEDS,
        OUT / "store.jsonl",
        test_size=TEST_SIZE,
        backend=args.backend,
        n_jobs=args.n_jobs,
        retry_failed=args.retry_failed,
    )
    archs = {t.name: len(t) for t in tasks}
    write_multitask_tables(results, OUT, archs=archs, command=COMMAND)
