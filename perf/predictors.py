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

    python perf/predictors.py --speed --sizes 1000 --seeds 0 1 2 --repeats 1
    python perf/predictors.py --study-grid --grid-seeds 0 1 2 3 4 --n-jobs 2

``--speed`` times each neural predictor with its options of before the speed
work of naspred issue #18 (:data:`BEFORE`: torch-geometric batching, BANANAS'
members one by one, minibatches of 32) against today's defaults, interleaved, on
each seed's own split; it prints the median fit wall and CPU seconds, their
ratios, and the mean Kendall tau on the held-out archs. ``--study-grid`` runs
the issue-5 grid (every model-based predictor x the ``naslib-predictors``
preset's 11 sizes x the seeds, NB201 CIFAR-10) from an empty store on local
workers and prints its wall time and the CPU seconds it used.

Measured on 2026-12-04, ``--speed --sizes 1000 --seeds 0 --repeats 1`` (gin and
bonas in a second run after their new defaults), 2 shared cores, the before side
with denormal floats kept (``NASPRED_DENORMALS=keep``, as before the flushing of
:func:`naspred.parallel.flush_denormals`). Fit CPU seconds before -> after
(ratio), Kendall before -> after: mlp 9.2 -> 1.3 (6.9x), 0.766 -> 0.772; bananas
47.4 -> 2.8 (16.7x), 0.753 -> 0.755; dngo 4.8 -> 0.8 (6.1x), 0.647 -> 0.708; gcn
340.7 -> 23.1 (14.7x), 0.714 -> 0.714; gin 37.5 -> 10.2 (3.7x), 0.829 -> 0.834;
bonas 33.3 -> 5.0 (6.6x), 0.739 -> 0.730; seminas 686.7 -> 46.6 (14.7x), 0.721 ->
0.720. Denormals made the long GCN trainings (gcn, seminas) 10x slower; gin and
bonas, which the denormals barely slowed, gain from minibatches of 128 at learning
rate 4e-3 instead; gin stays under 5x (shorter training cost it Kendall:
:class:`naspred.predictors.gin.GINPredictor`).
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import statistics
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
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


#: the neural predictors, and the options that give each one's training as it was
#: before the speed work (naspred issue #18): torch-geometric batching, BANANAS'
#: members one after another, minibatches of 32 and every epoch (no early stopping);
#: :func:`compare_speed` also keeps denormal floats on that side
BEFORE: dict[str, dict[str, object]] = {
    "mlp": {"batch_size": 32},
    "bananas": {"batch_size": 32, "ensemble_batching": False},
    "dngo": {"batch_size": 32},
    "gcn": {"batching": "pyg", "batch_size": 32, "val_fraction": 0.0},
    "gin": {"batching": "pyg", "batch_size": 32, "lr": 1e-3, "val_fraction": 0.0},
    "bonas": {"batching": "pyg", "batch_size": 32, "lr": 1e-3, "val_fraction": 0.0},
    "seminas": {"batching": "pyg", "batch_size": 32, "val_fraction": 0.0},
}


@contextmanager
def _denormals(kept: bool) -> Iterator[None]:
    """Inside, the trainers keep denormal floats (as before issue #18) when ``kept``:
    :func:`naspred.parallel.flush_denormals` reads ``NASPRED_DENORMALS`` on entry."""
    before = os.environ.get("NASPRED_DENORMALS")
    if kept:
        os.environ["NASPRED_DENORMALS"] = "keep"
    else:
        os.environ.pop("NASPRED_DENORMALS", None)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("NASPRED_DENORMALS", None)
        else:
            os.environ["NASPRED_DENORMALS"] = before


def compare_speed(
    name: str, task: Task, size: int, test: int, seeds: list[int], repeats: int
) -> dict[str, object]:
    """Fit neural predictor ``name`` on ``size`` archs with its options of before the
    speed work (:data:`BEFORE`) and with today's defaults: for each seed its own
    split (``test`` held-out archs, then ``size`` training archs) and ``repeats``
    fits of each, interleaved so that a change in the machine's load hits both."""
    from naspred.spaces import get_space

    space = get_space(task.space)
    runs: dict[str, dict[str, list[float]]] = {
        w: {"wall": [], "cpu": [], "kendall": []} for w in ("before", "after")
    }
    options = {"before": BEFORE[name], "after": {}}
    for seed in seeds:
        order = np.random.default_rng(seed).permutation(len(task))
        test_rows, train_rows = order[:test], order[test : test + size]
        train = [space.from_key(task.keys[i]) for i in train_rows]
        held = [space.from_key(task.keys[i]) for i in test_rows]
        if seed == seeds[0]:  # imports and first-call costs kept out of the timings
            for opts in options.values():
                make_predictor(name, seed=seed, **{**opts, "epochs": 1}).fit(
                    train[:64], task.val_accuracy[train_rows[:64]]
                )
        for r in range(repeats):
            for when, run in runs.items():
                predictor = make_predictor(name, seed=seed, **options[when])
                with _denormals(kept=when == "before"):
                    wall, cpu = time.perf_counter(), time.process_time()
                    predictor.fit(train, task.val_accuracy[train_rows])
                    run["wall"].append(time.perf_counter() - wall)
                    run["cpu"].append(time.process_time() - cpu)
                    if r == 0:  # training is seeded: every repeat gives the same predictions
                        pred = predictor.query(held)
                        run["kendall"].append(kendall(task.val_accuracy[test_rows], pred))
                print(
                    f"{name:>8} n={size:<5} seed {seed} {when:>6}: fit {run['wall'][-1]:7.2f} s "
                    f"wall, {run['cpu'][-1]:7.2f} s CPU, Kendall {run['kendall'][-1]:.4f}",
                    flush=True,
                )
    wall = {w: statistics.median(r["wall"]) for w, r in runs.items()}
    cpu = {w: statistics.median(r["cpu"]) for w, r in runs.items()}
    tau = {w: float(np.mean(r["kendall"])) for w, r in runs.items()}
    return {
        "predictor": name,
        "train": size,
        "before_s": wall["before"],
        "after_s": wall["after"],
        "ratio": wall["before"] / wall["after"],
        "before_cpu_s": cpu["before"],
        "after_cpu_s": cpu["after"],
        "cpu_ratio": cpu["before"] / cpu["after"],
        "kendall_before": tau["before"],
        "kendall_after": tau["after"],
        "kendall_change": tau["after"] - tau["before"],
    }


def study_grid(suite_zero_dir: Path, seeds: list[int], n_jobs: int) -> dict[str, object]:
    """Run the issue-5 predictor study grid from an empty store and time it: every
    model-based predictor x the ``naslib-predictors`` preset's 11 training sizes x
    ``seeds`` on NB201 CIFAR-10 (the preset's cells, target and 200 test archs), on
    ``n_jobs`` local worker processes of one torch thread each."""
    import tempfile

    from naspred.benchmarks import load_tasks
    from naspred.benchmarks.protocols import get_preset
    from naspred.experiments.predictors import run_predictor_study
    from naspred.predictors import model_based_predictors
    from naspred.predictors.spec import PredictorSpec

    preset = get_preset("naslib-predictors")
    tasks = load_tasks(
        ["nasbench201/cifar10"], suite_zero=suite_zero_dir, cells=preset.cells, target=preset.target
    )
    specs = [PredictorSpec(n) for n in model_based_predictors()]
    with tempfile.TemporaryDirectory() as tmp:
        # CPU seconds of this process and of its reaped workers: on a shared, loaded
        # machine the wall time says more about the others than about the grid
        before = resource.getrusage(resource.RUSAGE_CHILDREN), time.process_time()
        start = time.perf_counter()
        results = run_predictor_study(
            tasks,
            specs,
            preset.train_sizes,
            seeds,
            Path(tmp) / "store.jsonl",
            test_size=preset.test_size,
            progress=False,
            backend="local",
            n_jobs=n_jobs,
            torch_threads=1,
        )
        wall = time.perf_counter() - start
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (
            children.ru_utime
            + children.ru_stime
            - before[0].ru_utime
            - before[0].ru_stime
            + time.process_time()
            - before[1]
        )
    done = results[results["status"] == "ok"]
    per = done.groupby("predictor")["fit_s"].sum().sort_values(ascending=False)
    print("fit seconds summed over the grid's cells, per predictor:")
    print(per.to_frame().to_markdown(floatfmt=".1f"))
    return {
        "cells": len(results),
        "ok": len(done),
        "seeds": len(seeds),
        "n_jobs": n_jobs,
        "wall_s": wall,
        "cpu_s": cpu,
        "fit_s_sum": float(done["fit_s"].sum()),
        "query_s_sum": float(done["query_s"].sum()),
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
    parser.add_argument("--repeats", type=int, default=3, help="with --compare-batching or --speed")
    parser.add_argument(
        "--speed",
        nargs="*",
        default=None,
        metavar="PREDICTOR",
        help="time the neural predictors (default: all of them) before and after the speed "
        "work instead",
    )
    parser.add_argument(
        "--seeds", nargs="+", type=int, default=[0, 1, 2], help="splits, with --speed"
    )
    parser.add_argument(
        "--study-grid",
        action="store_true",
        help="time the issue-5 study grid from an empty store (after --speed, if given)",
    )
    parser.add_argument("--grid-seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--n-jobs", type=int, default=2, help="workers of --study-grid")
    args = parser.parse_args()

    logging.basicConfig(level=logging.WARNING)
    warnings.filterwarnings("ignore", module="sklearn")
    torch.set_num_threads(args.threads)
    if args.speed is not None or args.study_grid:
        speed = [] if args.speed is None else (args.speed or list(BEFORE))
        unknown = sorted(set(speed) - set(BEFORE))
        if unknown:
            parser.error(f"--speed times the neural predictors {sorted(BEFORE)}; not {unknown}")
        if speed:
            task = next(
                t
                for t in load_suite_zero(args.suite_zero_dir / "zc_nasbench201.json")
                if t.dataset == "cifar10"
            )
            rows = []
            for size in args.sizes:
                for name in speed:
                    rows.append(
                        compare_speed(name, task, size, args.test, args.seeds, args.repeats)
                    )
            print()
            print(
                f"NAS-Bench-201 cifar10: fit on n archs, Kendall on {args.test} held-out archs "
                f"(mean over splits {args.seeds}); fit wall and CPU seconds: median of "
                f"{args.repeats} fits x {len(args.seeds)} splits; {args.threads} torch thread(s)"
            )
            print(pd.DataFrame(rows).to_markdown(index=False, floatfmt=".3f"))
        if args.study_grid:
            grid = study_grid(args.suite_zero_dir, args.grid_seeds, args.n_jobs)
            print()
            print(
                "issue-5 study grid (every model-based predictor x 11 sizes x "
                f"{grid['seeds']} seeds, NB201 cifar10, empty store, {grid['n_jobs']} workers): "
                f"{grid['ok']}/{grid['cells']} cells, total wall {grid['wall_s'] / 60:.1f} min, "
                f"CPU {grid['cpu_s'] / 60:.1f} min ({grid['cpu_s'] / 60 / grid['n_jobs']:.1f} min "
                f"of wall on {grid['n_jobs']} unshared cores) "
                f"(fit {grid['fit_s_sum'] / 60:.1f} min, query {grid['query_s_sum'] / 60:.1f} min "
                "summed over cells)"
            )
        raise SystemExit(0)
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
