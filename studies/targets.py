"""Proxies and predictors on NAS-Bench-201 CIFAR-10 against other ground truths than
accuracy: a hardware cost (HW-NAS-Bench's Edge-GPU latency, Li et al., ICLR 2021) and
an attacked accuracy (PGD at eps 1/255, the NB201 robustness dataset, Jung et al.,
ICLR 2023), both from the GRAF release.

    python studies/targets.py [--suite-zero-dir ../shared/data/suite_zero] \\
        [--graf-dir ../shared/data/graf]

Costs are negated (higher = better), so a proxy that grows with the cost correlates
negatively. Writes tables/correlations/targets/<target>/ and tables/predictors/targets/
(training sets of 100 and 1,000 archs, a 1,000-arch test set, seeds 0-4, results in a
store beside the tables).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from naspred.benchmarks import load_tasks, with_complexity
from naspred.experiments import run_correlation_study
from naspred.experiments.predictors import run_predictor_study, write_predictor_tables
from naspred.predictors.spec import PredictorSpec

TABLES = Path(__file__).resolve().parents[1] / "tables"
TARGETS = ["edgegpu_latency", "pgd@Linf_eps-1.0"]
SPECS = [
    PredictorSpec("xgb", {"encoding": "graph_features"}),
    PredictorSpec("zc:flops"),
    PredictorSpec("zc:params"),
]

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite-zero-dir", type=Path, default=Path("../shared/data/suite_zero"))
    parser.add_argument("--graf-dir", type=Path, default=Path("../shared/data/graf"))
    args = parser.parse_args()
    tasks = []
    for target in TARGETS:
        [task] = load_tasks(
            ["nasbench201/cifar10"], suite_zero=args.suite_zero_dir, graf=args.graf_dir,
            target=target,
        )  # fmt: skip
        run_correlation_study(
            [task],
            TABLES / "correlations" / "targets" / target,
            title=f"Stored proxies against {target}, NAS-Bench-201 CIFAR-10",
        )
        tasks.append(with_complexity(task))
    out = TABLES / "predictors" / "targets"
    results = run_predictor_study(
        tasks, SPECS, [100, 1000], range(5), out / "store.jsonl", test_size=1000
    )
    write_predictor_tables(results, out)
