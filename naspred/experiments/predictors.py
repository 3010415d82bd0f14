"""The predictor study: predictor quality against training-set size, with timings.

As in White et al., "How Powerful are Performance Predictors in Neural
Architecture Search?" (NeurIPS 2021): for each task and seed a fixed held-out
test set; training sets of growing size drawn from the rest (nested, so a
larger set contains the smaller ones); for each predictor its fit (init) and
query wall time and Spearman, Kendall, Pearson, MAE, RMSE and top-k precision
on the test set. Every finished (task, seed, predictor, size) cell goes to the
results store at once, so a killed study resumes where it stopped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from naspred.benchmarks.task import Task
from naspred.errors import InvalidInputError
from naspred.experiments.picking import seeded_order
from naspred.experiments.units import SkipUnit, Unit, data_tag, run_units
from naspred.journal import Journal
from naspred.metrics import finite_pairs, score_predictions
from naspred.parallel import Backend
from naspred.predictors.spec import PredictorSpec
from naspred.reports.multitask import (  # noqa: F401 - re-exported: the CLI, studies, tests use them
    write_multitask_tables,
)
from naspred.reports.predictors import (  # noqa: F401 - re-exported: the CLI, studies, tests use them
    summarise,
    write_predictor_tables,
)

log = logging.getLogger(__name__)


def split(
    task: Task, seed: int, test_size: int, eligible: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded (test rows, ordered training pool) among the ``eligible`` rows.

    The test set depends only on (task, seed, test_size), never on the predictor
    or training size; the first ``n`` rows of the pool are the size-``n`` training set.
    """
    rows = np.flatnonzero(eligible)
    if len(rows) <= test_size:
        raise InvalidInputError(
            f"task {task.name}: {len(rows)} eligible archs, not enough for a test set of "
            f"{test_size} plus training archs; lower --test-size"
        )
    order = seeded_order(rows, seed)
    return order[:test_size], order[test_size:]


def evaluate_cell(
    task: Task,
    spec: PredictorSpec,
    train_rows: np.ndarray,
    test_rows: np.ndarray,
    seed: int,
    archs: Sequence[Any],
) -> dict[str, Any]:
    """Fit ``spec`` on ``train_rows``, query ``test_rows``; metrics and wall times."""
    from naspred.predictors import make_predictor
    from naspred.predictors.base import task_info

    predictor = make_predictor(spec.name, seed=seed, **spec.params)
    needs = predictor.needs
    y_train = task.val_accuracy[train_rows]
    train_archs = [archs[i] for i in train_rows]
    test_archs = [archs[i] for i in test_rows]
    train_info = task_info(task, train_rows, needs)
    test_info = task_info(task, test_rows, needs)
    start = time.perf_counter()
    predictor.fit(train_archs, y_train, train_info or None)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    pred = predictor.query(test_archs, test_info or None)
    query_s = time.perf_counter() - start
    truth = task.val_accuracy[test_rows]
    t, p, _ = finite_pairs(truth, pred)
    row = score_predictions(truth, pred, top_fracs=(0.1,))
    row.update(
        mae=float(np.mean(np.abs(t - p))) if t.size else np.nan,
        rmse=float(np.sqrt(np.mean((t - p) ** 2))) if t.size else np.nan,
        fit_s=fit_s,
        query_s=query_s,
    )
    return row


def run_predictor_study(
    tasks: Sequence[Task],
    predictors: Sequence[PredictorSpec],
    train_sizes: Sequence[int],
    seeds: Sequence[int],
    store: str | Path | Journal,
    *,
    test_size: int = 1000,
    progress: bool = True,
    retry_failed: bool = False,
    backend: Backend = "serial",
    n_jobs: int | None = None,
    address: str | None = None,
    torch_threads: int | None = 1,
) -> pd.DataFrame:
    """Run every (task, seed, predictor, train size) cell not yet in ``store``.

    Archs eligible for a split are those with a finite ``val_accuracy`` and, for a
    predictor that reads stored proxy scores, a finite score for each; so every
    predictor that needs no stored scores sees the same test set per seed. A cell
    whose test set or training set does not fit in the eligible archs is recorded
    as skipped; a predictor that raises is recorded as failed (with the error) and
    the study goes on. Cells are keyed by :func:`data_tag` of the data each predictor
    reads (the task's archs and accuracies, and the proxies and curves its ``needs``
    name), so a cell whose data changed since the store was written is run afresh,
    and one whose data did not is read back.

    Args:
        tasks: the tasks.
        predictors: the predictors, each with its hyper-parameters.
        train_sizes: training-set sizes (nested: the size-n set is the first n archs of
            one seeded pool).
        seeds: one test set and pool per seed.
        store: the results journal (path or :class:`~naspred.journal.Journal`).
        test_size: held-out archs per (task, seed).
        progress: show a progress bar.
        retry_failed: run cells recorded as failed again.
        backend: ``"serial"`` (this process), ``"local"`` (worker processes) or
            ``"ray"`` (:func:`naspred.parallel.parallel_map`); the metrics are the same
            on each, only the wall times differ.
        n_jobs: workers (None: every CPU this process may use, or the cluster's).
        address: Ray cluster address (ray backend).
        torch_threads: torch threads per worker (local, ray).

    Returns:
        The store's rows for these tasks as they are now.
    """
    from naspred.predictors import make_predictor

    journal = store if isinstance(store, Journal) else Journal(store)
    needs = {s.id: make_predictor(s.name, **s.params).needs for s in predictors}
    reads = {spec_id: list(n.info_keys()) for spec_id, n in needs.items()}
    tags = {(t.name, s.id): data_tag(t, test_size, reads[s.id]) for t in tasks for s in predictors}
    archs = {t.name: TaskArchs(t) for t in tasks}
    units = [
        Unit(
            _unit(tags[task.name, spec.id], task, seed, spec, size),
            _cell,
            (task, spec, size, seed, test_size, needs[spec.id].proxies, archs[task.name]),
            {
                "study": "predictors",
                "task": task.name,
                "data": tags[task.name, spec.id],
                "reads": reads[spec.id],
                "seed": seed,
                "predictor": spec.id,
                "train_size": size,
                "test_size": test_size,
            },
        )
        for task in tasks
        for seed in seeds
        for spec in predictors
        for size in sorted(train_sizes)
    ]
    run_units(
        units,
        journal,
        retry_failed=retry_failed,
        progress=progress,
        desc="predictor study",
        backend=backend,
        n_jobs=n_jobs,
        address=address,
        torch_threads=torch_threads,
    )
    return stored_predictor_results(tasks, journal, test_size=test_size)


class TaskArchs:
    """A task's archs, parsed once on first use and shared by its cells."""

    def __init__(self, task: Task) -> None:
        self.task = task
        self._archs: list[Any] | None = None

    def get(self) -> list[Any]:
        """The task's archs, in key order."""
        if self._archs is None:
            from naspred.spaces import get_space

            space = get_space(self.task.space)
            self._archs = [space.from_key(k) for k in self.task.keys]
        return self._archs


def _cell(
    task: Task,
    spec: PredictorSpec,
    size: int,
    seed: int,
    test_size: int,
    proxies: Sequence[str],
    archs: TaskArchs,
) -> dict[str, Any]:
    """One (task, seed, predictor, size) cell: its scores and times."""
    # a predictor reading a proxy the task does not store cannot run on it at all: a
    # result of this task (shown as not run), not a failure of the predictor
    lacking = [name for name in proxies if name not in task.proxies]
    if lacking:
        raise SkipUnit(f"the task stores no proxy {lacking[0]!r} (it has {task.proxy_names})")
    eligible = np.isfinite(task.val_accuracy)
    for name in proxies:
        eligible &= task.has_proxy(name) & np.isfinite(task.proxies[name])
    if eligible.sum() <= test_size:
        raise SkipUnit(
            f"{int(eligible.sum())} eligible archs, too few for a test set of {test_size}"
        )
    test_rows, pool = split(task, seed, test_size, eligible)
    if size > len(pool):
        raise SkipUnit(f"only {len(pool)} training archs available")
    return evaluate_cell(task, spec, pool[:size], test_rows, seed, archs.get())


def stored_predictor_results(
    tasks: Sequence[Task], store: Journal | str | Path, *, test_size: int = 1000
) -> pd.DataFrame:
    """The predictor-study rows in ``store`` computed on ``tasks`` as they are now
    (each row's :func:`data_tag` of the data its predictor reads, recorded in its
    ``reads`` field, equal to the tag of that data today), without running anything:
    what :func:`run_predictor_study` returns, for tabulating a finished store."""
    journal = store if isinstance(store, Journal) else Journal(store)
    frame = journal.frame()
    if frame.empty or "reads" not in frame:
        return frame.iloc[0:0]
    by_name = {t.name: t for t in tasks}
    frame = frame[(frame["study"] == "predictors") & frame["task"].isin(by_name)]
    tags: dict[tuple[str, tuple[str, ...]], str] = {}

    def now(task: str, reads: Any) -> str | None:
        if not isinstance(reads, list):
            return None  # a row of a store older than per-predictor tags
        key = (task, tuple(reads))
        if key not in tags:
            tags[key] = data_tag(by_name[task], test_size, reads)
        return tags[key]

    columns = zip(frame["task"], frame["reads"], frame["data"], strict=True)
    current = [now(task, reads) == data for task, reads, data in columns]
    return frame[np.array(current, dtype=bool)].reset_index(drop=True)


def _unit(data: str, task: Task, seed: int, spec: PredictorSpec, size: int) -> str:
    return f"{task.name}|data={data}|seed={seed}|{spec.id}|n={size}"
