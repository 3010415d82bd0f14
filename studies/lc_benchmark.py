"""Make (or extend) naspred's embedded NAS-Bench-201 learning-curve benchmark.

    python studies/lc_benchmark.py                      # all 1,000 archs (resumes)
    python studies/lc_benchmark.py --upto 100           # only the first 100 of the fixed order
    python studies/lc_benchmark.py --device cuda --n-jobs 8

The archs are the first 1,000 distinct NAS-Bench-201 networks of
``select_archs("nasbench201", 1000, seed=0)`` (a seeded uniform draw, one per
isomorphism class), trained in that order, so any prefix of the file is itself a
uniform sample. Each trains under PROTOCOL on the real CIFAR-10 sample in
``../shared/data/cifar10_sample.npz`` (4,660 train images; the 846 test images are
the validation split). The file lives in the package
(``naspred/data/learning_curves/``), so it installs with naspred and loads as the
task ``nasbench201/cifar10-lc``; a killed run resumes where it stopped.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from naspred.benchmarks import load_tasks
from naspred.benchmarks.learning_curves import EMBEDDED_DIR
from naspred.experiments.lc_benchmark import make_benchmark, select_archs
from naspred.experiments.training import DataSource, TrainingProtocol
from naspred.metrics import kendall, spearman

N_ARCHS = 1000
# A short schedule that a CPU core trains in about 40 s per arch: NB201's cell and
# skeleton at 8 channels, one cell per stage, 16x16 images, 20 epochs, cosine LR;
# the proxies that OMNI and the zero-cost baselines of the trade-off study read are
# scored on each network at initialisation.
PROTOCOL = TrainingProtocol(
    epochs=20,
    batch_size=128,
    lr=0.1,
    C=8,
    N=1,
    image_size=16,
    crop_padding=2,
    proxies=("jacov", "synflow", "nwot", "snip"),
)
OUT = EMBEDDED_DIR / "nasbench201_cifar10_sample.jsonl"

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upto", type=int, default=N_ARCHS, help="train the first N archs")
    parser.add_argument("--data", type=Path, default=Path("../shared/data/cifar10_sample.npz"))
    parser.add_argument("--suite-zero-dir", type=Path, default=Path("../shared/data/suite_zero"))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--n-jobs", type=int, default=None)
    args = parser.parse_args()
    keys = select_archs("nasbench201", N_ARCHS, seed=0)[: args.upto]
    task = make_benchmark(
        "nasbench201",
        OUT,
        DataSource(npz=str(args.data)),
        PROTOCOL,
        keys=keys,
        seed=0,
        device=args.device,
        n_jobs=args.n_jobs,
        variant="lc",  # the benchmark that installs with naspred: nasbench201/cifar10-lc
    )
    ours = task.val_accuracy
    print(f"{len(task)} archs in {OUT}")
    print(
        f"final val accuracy: min {ours.min():.1f}, median {np.median(ours):.1f}, "
        f"max {ours.max():.1f}, std {ours.std():.2f} (percent)"
    )
    if args.suite_zero_dir.is_dir():
        nb201 = load_tasks(["nasbench201/cifar10"], suite_zero=args.suite_zero_dir)[0]
        ref = nb201.val_accuracy[nb201.index(task.keys)]
        print(
            f"vs NAS-Bench-201 cifar10 val_accuracy: Spearman {spearman(ours, ref):.3f}, "
            f"Kendall {kendall(ours, ref):.3f}"
        )
