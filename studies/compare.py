"""The committed ``naspred compare`` tables: a new proxy against every baseline.

    python studies/compare.py [--suite-zero-dir ../shared/data/suite_zero]

* ``tables/compare/zico/``: ZiCo (Li et al., ICLR 2023) on 100 NAS-Bench-201
  CIFAR-10 archs, beside the 13 stored Suite-Zero baselines and MeCo, MeCo-opt,
  synflow, jacov and params computed live on the same archs and minibatch;
* ``tables/compare/last_layer_grad_norm/``: the example user proxy of
  ``docs/examples/my_proxy.py`` on 60 archs.

Both use seed 0, a minibatch of 32 from the shared CIFAR-10 sample and 1,000
bootstrap resamples. Scores are journaled in ``results/compare/`` (not
committed), so a killed run resumes.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from naspred.benchmarks import load_tasks
from naspred.experiments.compare import run_compare

ROOT = Path(__file__).resolve().parents[1]
TABLES = ROOT / "tables" / "compare"
RUNS = {
    "zico": {"n_archs": 100, "live_baselines": ["meco", "meco_opt", "synflow", "jacov", "params"]},
    str(ROOT / "docs" / "examples" / "my_proxy.py") + ":last_layer_grad_norm": {"n_archs": 60},
}

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--suite-zero-dir", type=Path, default=ROOT.parent / "shared" / "data" / "suite_zero"
    )
    parser.add_argument(
        "--npz", type=Path, default=ROOT.parent / "shared" / "data" / "cifar10_sample.npz"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)  # scores are compared bit for bit across runs
    tasks = load_tasks(["nasbench201/cifar10"], suite_zero=args.suite_zero_dir, embedded=False)
    for proxy, options in RUNS.items():
        name = proxy.rsplit(":", 1)[-1]
        result = run_compare(
            proxy,
            tasks,
            TABLES / name,
            data=args.npz,
            store=ROOT / "results" / "compare" / f"{name}.journal.jsonl",
            **options,
        )
        print(f"{result.proxy}: {len(result.files)} files in {TABLES / name}")
