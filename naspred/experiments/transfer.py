"""The transfer study: fit a predictor on one task, query another.

A NAS user often holds a benchmark's ground truth for one dataset (NB201 CIFAR-10)
and wants to rank archs on another (CIFAR-100, SVHN) or by another target (edge-GPU
latency), where each measured arch is expensive. For each (source, target) pair of
tasks of the same space, over the archs both record, each seed draws one held-out
test set of shared archs and one ordered pool of the rest; for each predictor and
source training size ``n`` three modes are scored against the *target's* ground
truth on that test set (Kendall, Spearman, ...):

* ``plain``: fit on the source targets of ``n`` source archs, no target data at all
  (the predictor study's protocol with the labels taken from another task; with the
  source equal to the target it *is* the predictor study's cell on the same split);
* ``finetune`` with ``k`` target archs: fit on the ``n`` source archs and the ``k``
  target archs together, the source labels first mapped onto the target's scale by
  quantile mapping (:func:`quantile_map`: each source value is replaced by the
  quantile of the ``k`` target values at the source value's own empirical quantile,
  so the ranks among the source archs are kept and their values follow the ``k``
  targets' empirical distribution); where an arch is among both, its measured target
  value is used. This fine-tuning is predictor-agnostic: any predictor's ``fit``
  takes the merged set, none needs a warm start;
* ``target-only`` with ``k`` target archs: fit on the ``k`` target archs alone, the
  baseline that says whether the source helps at all.

The ``k`` target archs are the first ``k`` of the shared pool and the ``n`` source
archs the first ``n`` of the source pool, which starts with the same shared pool
(then the source's archs the target lacks, in seeded order): sets are nested in
``n`` and ``k``, and the ``k`` target archs are among the source archs once
``n >= k``, as a user fine-tuning on archs they also looked up in the source
benchmark would have them. The test set is ``min(test_size, shared // 2)`` shared
archs, never trained on in any mode.

Each (pair, seed, predictor, mode, n, k) cell is a :class:`~naspred.experiments.units.Unit`
keyed by the :func:`~naspred.experiments.units.data_tag` of both tasks, recorded in a
journal at once, so a killed study resumes and a task whose data changed is rerun.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from naspred.benchmarks.task import Task
from naspred.errors import InvalidInputError
from naspred.experiments.picking import seeded_order
from naspred.experiments.predictors import TaskArchs
from naspred.experiments.units import SkipUnit, Unit, data_tag, run_units
from naspred.journal import Journal
from naspred.metrics import finite_pairs, score_predictions
from naspred.parallel import Backend
from naspred.predictors.spec import PredictorSpec
from naspred.reports.transfer import (  # noqa: F401 - re-exported: the CLI, studies, tests use them
    summarise_transfer,
    write_transfer_tables,
)

log = logging.getLogger(__name__)

#: The modes of a transfer cell.
PLAIN, FINETUNE, TARGET_ONLY = "plain", "finetune", "target-only"
MODES = (PLAIN, FINETUNE, TARGET_ONLY)


def quantile_map(source: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``source`` values mapped onto the empirical distribution of ``reference``.

    Each value's empirical quantile among ``source`` (mid-rank: ``(rank - 0.5) / n``,
    ties sharing their average rank) is looked up in ``reference`` by linear
    interpolation (:func:`numpy.quantile`), so the order of ``source`` is kept (ties
    stay tied) and its values take ``reference``'s scale and shape.

    Args:
        source: the values to map, ``(n,)``, finite.
        reference: the distribution to map onto, ``(k,)`` with ``k >= 1``, finite.

    Returns:
        ``(n,)`` mapped values.

    Raises:
        InvalidInputError: an empty reference or a non-finite value.
    """
    source = np.asarray(source, dtype=float)
    reference = np.asarray(reference, dtype=float)
    if reference.size == 0:
        raise InvalidInputError("quantile_map: the reference has no values; give k >= 1")
    if not (np.isfinite(source).all() and np.isfinite(reference).all()):
        raise InvalidInputError("quantile_map: values must be finite; drop NaN/inf first")
    if source.size == 0:
        return source.copy()
    quantiles = (rankdata(source) - 0.5) / source.size
    return np.quantile(reference, quantiles)


def transfer_split(
    source: Task, target: Task, seed: int, test_size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The seeded split of one (source, target, seed).

    Args:
        source: the task the predictor learns from.
        target: the task it is judged on (same space).
        seed: draws the order.
        test_size: held-out shared archs wanted; ``min(test_size, shared // 2)`` are
            taken.

    Returns:
        ``(test, shared_pool, source_pool, target_rows)``: ``test`` and the ordered
        ``shared_pool`` (the rest of the shared archs) and the ordered ``source_pool``
        (the shared pool, then the source-only archs) as source rows; ``target_rows``
        maps each source row to its target row (-1 where the target lacks it).

    Raises:
        InvalidInputError: the tasks share fewer than 2 archs with a finite value.
    """
    where = target._positions  # noqa: SLF001 - the task's own key index
    target_rows = np.array([where.get(k, -1) for k in source.keys], dtype=np.int64)
    finite_source = np.isfinite(source.val_accuracy)
    in_target = target_rows >= 0
    finite_target = np.zeros(len(source), dtype=bool)
    finite_target[in_target] = np.isfinite(target.val_accuracy[target_rows[in_target]])
    shared = finite_source & finite_target
    if shared.sum() < 2:
        raise InvalidInputError(
            f"tasks {source.name} and {target.name} share {int(shared.sum())} archs with a "
            "finite value; choose a pair of tasks of the same space and cells"
        )
    order = seeded_order(np.flatnonzero(shared), seed)
    n_test = min(test_size, len(order) // 2)
    test, shared_pool = order[:n_test], order[n_test:]
    only_source = np.flatnonzero(finite_source & ~shared)
    source_pool = np.concatenate([shared_pool, seeded_order(only_source, seed)])
    return test, shared_pool, source_pool.astype(np.int64), target_rows


def transfer_cell(
    source: Task,
    target: Task,
    spec: PredictorSpec,
    mode: str,
    n_train: int,
    k: int,
    seed: int,
    test_size: int,
    archs: TaskArchs,
) -> dict[str, Any]:
    """One (pair, seed, predictor, mode, n, k) cell: its scores and times.

    Args:
        source: the source task.
        target: the target task.
        spec: the predictor.
        mode: ``plain``, ``finetune`` or ``target-only``.
        n_train: source training archs (unused by ``target-only``).
        k: target archs (unused by ``plain``).
        seed: the split's and the predictor's seed.
        test_size: held-out shared archs wanted (see :func:`transfer_split`).
        archs: the source task's archs.

    Raises:
        SkipUnit: the pools hold fewer than ``n_train`` or ``k`` archs.
    """
    from naspred.predictors import make_predictor

    test, shared_pool, source_pool, target_rows = transfer_split(source, target, seed, test_size)
    if mode != TARGET_ONLY and n_train > len(source_pool):
        raise SkipUnit(f"only {len(source_pool)} source training archs available")
    if mode != PLAIN and k > len(shared_pool):
        raise SkipUnit(f"only {len(shared_pool)} shared archs outside the test set")
    source_rows = source_pool[:n_train]
    tuned = shared_pool[:k]
    y_tuned = target.val_accuracy[target_rows[tuned]]
    if mode == PLAIN:
        rows, y = source_rows, source.val_accuracy[source_rows]
    elif mode == TARGET_ONLY:
        rows, y = tuned, y_tuned
    elif mode == FINETUNE:
        # an arch measured on the target keeps its measured value
        rest = source_rows[~np.isin(source_rows, tuned)]
        mapped = quantile_map(source.val_accuracy[rest], y_tuned)
        rows, y = np.concatenate([tuned, rest]), np.concatenate([y_tuned, mapped])
    else:
        raise InvalidInputError(f"transfer mode {mode!r} is not one of {list(MODES)}")
    every = archs.get()
    predictor = make_predictor(spec.name, seed=seed, **spec.params)
    start = time.perf_counter()
    predictor.fit([every[i] for i in rows], y)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    pred = predictor.query([every[i] for i in test])
    query_s = time.perf_counter() - start
    truth = target.val_accuracy[target_rows[test]]
    t, p, _ = finite_pairs(truth, pred)
    row = score_predictions(truth, pred, top_fracs=(0.1,))
    row.update(
        mae=float(np.mean(np.abs(t - p))) if t.size else np.nan,
        fit_s=fit_s,
        query_s=query_s,
        test_size=int(len(test)),
        fit_archs=int(len(rows)),
    )
    return row


def pair_name(source: Task, target: Task) -> str:
    """``source -> target``, as tables and stores name a pair."""
    return f"{source.name} -> {target.name}"


def transfer_units(
    pairs: Sequence[tuple[Task, Task]],
    predictors: Sequence[PredictorSpec],
    train_sizes: Sequence[int],
    target_sizes: Sequence[int],
    seeds: Sequence[int],
    *,
    test_size: int = 1000,
    modes: Sequence[str] = MODES,
) -> list[Unit]:
    """The units of a transfer study (see :func:`run_transfer_study` for the arguments).

    Raises:
        InvalidInputError: a pair of different spaces, an unknown mode, or a predictor
            that reads more than the archs (stored proxies, curves).
    """
    from naspred.predictors import make_predictor

    unknown = [m for m in modes if m not in MODES]
    if unknown:
        raise InvalidInputError(f"transfer mode {unknown[0]!r} is not one of {list(MODES)}")
    for spec in predictors:
        reads = list(make_predictor(spec.name, **spec.params).needs.info_keys())
        if reads:
            # source and target proxies differ per dataset: which to hand is a study design
            raise InvalidInputError(
                f"predictor {spec.id} reads {reads}; the transfer study takes predictors "
                "that read only the archs (drop zc:/zc_* and curve predictors)"
            )
    units: list[Unit] = []
    archs: dict[str, TaskArchs] = {}
    for source, target in pairs:
        if source.space != target.space:
            raise InvalidInputError(
                f"transfer {pair_name(source, target)}: spaces differ ({source.space} vs "
                f"{target.space}); pair tasks of one space"
            )
        archs.setdefault(source.name, TaskArchs(source))
        tags = f"{data_tag(source, test_size, [])}>{data_tag(target, test_size, [])}"
        grid: list[tuple[str, int, int]] = []
        if PLAIN in modes:
            grid += [(PLAIN, n, 0) for n in sorted(train_sizes)]
        if FINETUNE in modes:
            grid += [(FINETUNE, n, k) for n in sorted(train_sizes) for k in sorted(target_sizes)]
        if TARGET_ONLY in modes:
            grid += [(TARGET_ONLY, 0, k) for k in sorted(target_sizes)]
        for seed in seeds:
            for spec in predictors:
                for mode, n, k in grid:
                    key = (
                        f"{pair_name(source, target)}|data={tags}|seed={seed}|{spec.id}|"
                        f"{mode}|n={n}|k={k}"
                    )
                    fields = {
                        "study": "transfer",
                        "pair": pair_name(source, target),
                        "source": source.name,
                        "target": target.name,
                        "data": tags,
                        "seed": seed,
                        "predictor": spec.id,
                        "mode": mode,
                        "train_size": n,
                        "k": k,
                    }
                    args = (source, target, spec, mode, n, k, seed, test_size, archs[source.name])
                    units.append(Unit(key, transfer_cell, args, fields))
    return units


def run_transfer_study(
    pairs: Sequence[tuple[Task, Task]],
    predictors: Sequence[PredictorSpec],
    train_sizes: Sequence[int],
    target_sizes: Sequence[int],
    seeds: Sequence[int],
    store: str | Path | Journal,
    *,
    test_size: int = 1000,
    modes: Sequence[str] = MODES,
    progress: bool = True,
    retry_failed: bool = False,
    backend: Backend = "serial",
    n_jobs: int | None = None,
    address: str | None = None,
    torch_threads: int | None = 1,
) -> pd.DataFrame:
    """Run every transfer cell not yet in ``store``; the store's rows for ``pairs``.

    Args:
        pairs: (source, target) tasks, each pair of one space.
        predictors: the predictors (reading only the archs).
        train_sizes: source training-set sizes ``n`` (nested).
        target_sizes: target archs ``k`` for ``finetune`` and ``target-only`` (nested).
        seeds: one split per (pair, seed); the predictor's seed too.
        store: the results journal (path or :class:`~naspred.journal.Journal`).
        test_size: held-out shared archs per (pair, seed), at most half the shared ones.
        modes: which of ``plain``, ``finetune``, ``target-only`` to run.
        progress: show a progress bar.
        retry_failed: run cells recorded as failed again.
        backend: ``"serial"``, ``"local"`` or ``"ray"`` (:func:`naspred.parallel.parallel_map`).
        n_jobs: workers (None: every CPU this process may use, or the cluster's).
        address: Ray cluster address (ray backend).
        torch_threads: torch threads per worker (local, ray).

    Returns:
        The store's transfer rows for these pairs on their data as it is now.
    """
    journal = store if isinstance(store, Journal) else Journal(store)
    units = transfer_units(
        pairs, predictors, train_sizes, target_sizes, seeds, test_size=test_size, modes=modes
    )
    run_units(
        units,
        journal,
        retry_failed=retry_failed,
        progress=progress,
        desc="transfer study",
        backend=backend,
        n_jobs=n_jobs,
        address=address,
        torch_threads=torch_threads,
    )
    return stored_transfer_results(pairs, journal, test_size=test_size)


def stored_transfer_results(
    pairs: Sequence[tuple[Task, Task]], store: Journal | str | Path, *, test_size: int = 1000
) -> pd.DataFrame:
    """The transfer rows in ``store`` for ``pairs`` on their data as it is now, without
    running anything (for tabulating a finished store)."""
    journal = store if isinstance(store, Journal) else Journal(store)
    frame = journal.frame()
    if frame.empty or "pair" not in frame:
        return frame.iloc[0:0]
    tags = {
        pair_name(s, t): f"{data_tag(s, test_size, [])}>{data_tag(t, test_size, [])}"
        for s, t in pairs
    }
    frame = frame[(frame["study"] == "transfer") & frame["pair"].isin(tags)]
    current = frame["data"].to_numpy() == frame["pair"].map(tags).to_numpy()
    return frame[current].reset_index(drop=True)
