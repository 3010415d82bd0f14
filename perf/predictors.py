"""Predictor speed: fit (init) and query time per registered predictor.

    python perf/predictors.py                                  # all, 100 and 1,000 archs
    python perf/predictors.py --predictors xgb gp --sizes 100 1000 --threads 1

On NAS-Bench-201 CIFAR-10 (Suite-Zero records): for each training-set size, a
seeded random set of training archs and a disjoint set of ``--test`` archs
(1,000 by default) on which the predictor is queried. Prints one row per
(predictor, size): fit seconds, query seconds for the whole test set, and the
Kendall tau on it as a sanity check. Predictors that read proxy scores get the
stored ones (``zen`` for every arch, the others for 491 NB201 archs, NaN
elsewhere), with ``params``/``flops`` of our networks for every arch.
Learning-curve predictors need curves that these records lack; ``naspred
tradeoff`` times them.

    python perf/predictors.py --compare-batching gcn --sizes 1000 --repeats 3

times the graph predictors' two batchings instead (``batching="pyg"``, the
torch-geometric DataLoader and scatter path, before; ``batching="dense"``, padded
tensors, after), same hyper-parameters and epochs, the repeats interleaved so
that a change in the machine's load hits both alike. It prints the median fit
wall time and process CPU time of each, their ratios, and each one's Kendall tau
on the test archs (the same for every repeat: training is seeded).

Measured on 2026-12-03 (2 shared, loaded cores; default hyper-parameters, 300
epochs; fit CPU seconds pyg -> dense, Kendall pyg -> dense): gcn, median of 3,
75.7 -> 36.5 s (2.07x; wall 113.3 -> 50.8 s, 2.23x), 0.720 -> 0.722; bonas, one
fit, 44.5 -> 14.8 s (3.0x), 0.739 -> 0.739; gin, one fit, 50.1 -> 26.9 s
(1.86x), 0.833 -> 0.836.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from naspred.benchmarks import Task, load_suite_zero, with_complexity
from naspred.metrics import kendall
from naspred.predictors import make_predictor, predictor_names, task_info

ROOT = Path(__file__).resolve().parents[1]


def time_predictor(
    name: str, task: Task, train_rows: np.ndarray, test_rows: np.ndarray, seed: int
) -> dict[str, object]:
    """Fit ``name`` on ``train_rows`` of ``task`` and query it on ``test_rows``, timed."""
    from naspred.spaces import get_space

    space = get_space(task.space)
    predictor = make_predictor(name, seed=seed)
    if predictor.needs.network:
        return {"predictor": name, "train": len(train_rows), "note": "needs networks; skipped"}
    if predictor.needs.curve_epochs:
        return {"predictor": name, "train": len(train_rows), "note": "needs curves; skipped"}
    train = [space.from_key(task.keys[i]) for i in train_rows]
    test = [space.from_key(task.keys[i]) for i in test_rows]
    train_info = task_info(task, train_rows, predictor.needs)
    test_info = task_info(task, test_rows, predictor.needs)
    start = time.perf_counter()
    predictor.fit(train, task.val_accuracy[train_rows], info=train_info)
    fitted = time.perf_counter()
    pred = predictor.query(test, info=test_info)
    queried = time.perf_counter()
    return {
        "predictor": name,
        "train": len(train_rows),
        "fit_s": fitted - start,
        "query_s": queried - fitted,
        "query_ms_per_arch": 1e3 * (queried - fitted) / len(test_rows),
        "kendall": kendall(task.val_accuracy[test_rows], pred),
        "note": str(predictor.needs),
    }


def compare_batching(
    name: str, task: Task, train_rows: np.ndarray, test_rows: np.ndarray, seed: int, repeats: int
) -> dict[str, object]:
    """Fit graph predictor ``name`` ``repeats`` times with each batching, timed."""
    from naspred.spaces import get_space

    space = get_space(task.space)
    train = [space.from_key(task.keys[i]) for i in train_rows]
    test = [space.from_key(task.keys[i]) for i in test_rows]
    runs: dict[str, dict[str, list[float]]] = {
        b: {"wall": [], "cpu": [], "kendall": []} for b in ("pyg", "dense")
    }
    for batching in runs:  # imports and first-call costs kept out of the timings
        make_predictor(name, seed=seed, batching=batching, epochs=1).fit(
            train[:64], task.val_accuracy[train_rows[:64]]
        )
    for _ in range(repeats):
        for batching, run in runs.items():
            predictor = make_predictor(name, seed=seed, batching=batching)
            wall, cpu = time.perf_counter(), time.process_time()
            predictor.fit(train, task.val_accuracy[train_rows])
            run["wall"].append(time.perf_counter() - wall)
            run["cpu"].append(time.process_time() - cpu)
            run["kendall"].append(kendall(task.val_accuracy[test_rows], predictor.query(test)))
            print(
                f"{name:>8} n={len(train_rows):<5} {batching:>5}: fit {run['wall'][-1]:7.2f} s "
                f"wall, {run['cpu'][-1]:7.2f} s CPU, Kendall {run['kendall'][-1]:.4f}",
                flush=True,
            )
    med = {b: {k: statistics.median(v) for k, v in run.items()} for b, run in runs.items()}
    return {
        "predictor": name,
        "train": len(train_rows),
        "repeats": repeats,
        "pyg_wall_s": med["pyg"]["wall"],
        "dense_wall_s": med["dense"]["wall"],
        "wall_ratio": med["pyg"]["wall"] / med["dense"]["wall"],
        "pyg_cpu_s": med["pyg"]["cpu"],
        "dense_cpu_s": med["dense"]["cpu"],
        "cpu_ratio": med["pyg"]["cpu"] / med["dense"]["cpu"],
        "pyg_kendall": med["pyg"]["kendall"],
        "dense_kendall": med["dense"]["kendall"],
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--predictors", nargs="+", default=None, help="default: all registered")
    parser.add_argument("--sizes", nargs="+", type=int, default=[100, 1000])
    parser.add_argument("--test", type=int, default=1000, help="archs queried")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument(
        "--suite-zero-dir", type=Path, default=ROOT.parent / "shared" / "data" / "suite_zero"
    )
    parser.add_argument("--dataset", default="cifar10")
    parser.add_argument(
        "--compare-batching",
        nargs="+",
        default=None,
        metavar="PREDICTOR",
        help="time these graph predictors' pyg and dense batchings instead",
    )
    parser.add_argument("--repeats", type=int, default=3, help="with --compare-batching")
    args = parser.parse_args()

    logging.basicConfig(level=logging.WARNING)
    warnings.filterwarnings("ignore", module="sklearn")
    torch.set_num_threads(args.threads)
    names = args.compare_batching or args.predictors or predictor_names()
    unknown = sorted(set(names) - set(predictor_names()) - {n for n in names if ":" in n})
    if unknown:
        parser.error(f"unknown predictor(s) {unknown}; known: {predictor_names()}")
    task = with_complexity(
        next(
            t
            for t in load_suite_zero(args.suite_zero_dir / "zc_nasbench201.json")
            if t.dataset == args.dataset
        )
    )
    rng = np.random.default_rng(args.seed)
    order = rng.permutation(len(task))
    test_rows = order[: args.test]
    rows = []
    for size in args.sizes:
        train_rows = order[args.test : args.test + size]
        if args.compare_batching:
            for name in names:
                rows.append(
                    compare_batching(name, task, train_rows, test_rows, args.seed, args.repeats)
                )
            continue
        for name in names:
            row = time_predictor(name, task, train_rows, test_rows, args.seed)
            rows.append(row)
            print(
                f"{name:>12} n={size:<5} fit {row.get('fit_s', float('nan')):8.2f} s   "
                f"query {row.get('query_s', float('nan')):7.3f} s",
                flush=True,
            )
    table = pd.DataFrame(rows)
    print()
    what = (
        f"median of {args.repeats} fits, batching pyg (before) vs dense (after)"
        if args.compare_batching
        else "one fit each"
    )
    print(
        f"NAS-Bench-201 {args.dataset}: fit on n archs, query on {args.test} archs, "
        f"{args.threads} torch thread(s), {what}"
    )
    print(table.to_markdown(index=False, floatfmt=".3f"))
