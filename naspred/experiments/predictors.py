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
from tqdm.auto import tqdm

from naspred.benchmarks.task import Task
from naspred.errors import InvalidInputError
from naspred.experiments.store import ResultsStore, current_rows, data_tag, failed_row
from naspred.metrics import finite_pairs, score_predictions
from naspred.predictors.spec import PredictorSpec
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
    order = np.random.default_rng(seed).permutation(rows)
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
    store: str | Path | ResultsStore,
    *,
    test_size: int = 1000,
    progress: bool = True,
) -> pd.DataFrame:
    """Run every (task, seed, predictor, train size) cell not yet in ``store``.

    Archs eligible for a split are those with a finite ``val_accuracy`` and, for a
    predictor that reads stored proxy scores, a finite score for each; so every
    predictor that needs no stored scores sees the same test set per seed. A cell
    whose test set or training set does not fit in the eligible archs is recorded
    as skipped; a predictor that raises is recorded as failed (with the error) and
    the study goes on. Cells are keyed by :func:`data_tag`, so a task whose data
    changed since the store was written is run afresh. Returns the store's rows for
    these tasks as they are now.
    """
    from naspred.predictors import make_predictor
    from naspred.spaces import get_space

    store = store if isinstance(store, ResultsStore) else ResultsStore(store)
    needs = {s.id: make_predictor(s.name, **s.params).needs for s in predictors}
    tags = {t.name: data_tag(t, test_size) for t in tasks}
    cells = [
        (t, s, p, n) for t in tasks for s in seeds for p in predictors for n in sorted(train_sizes)
    ]
    todo = [c for c in cells if _unit(tags[c[0].name], *c) not in store]
    log.info(
        "predictor study: %d cells, %d already in %s",
        len(cells),
        len(cells) - len(todo),
        store.path,
    )
    arch_cache: dict[str, list[Any]] = {}
    bar = tqdm(total=len(todo), desc="predictor study", unit="cell", disable=not progress)
    for task, seed, spec, size in todo:
        if task.name not in arch_cache:
            space = get_space(task.space)
            arch_cache[task.name] = [space.from_key(k) for k in task.keys]
        eligible = np.isfinite(task.val_accuracy)
        for name in needs[spec.id].proxies:
            if name in task.proxies:
                eligible &= task.has_proxy(name) & np.isfinite(task.proxies[name])
        base = {
            "unit": _unit(tags[task.name], task, seed, spec, size),
            "study": "predictors",
            "task": task.name,
            "data": tags[task.name],
            "seed": seed,
            "predictor": spec.id,
            "train_size": size,
            "test_size": test_size,
        }
        bar.set_postfix_str(f"{task.name} {spec.id} n={size} seed={seed}")
        try:
            if eligible.sum() <= test_size:
                raise _Skip(
                    f"{int(eligible.sum())} eligible archs, too few for a test set of {test_size}"
                )
            test_rows, pool = split(task, seed, test_size, eligible)
            if size > len(pool):
                row = {
                    **base,
                    "status": "skipped",
                    "error": f"only {len(pool)} training archs available",
                }
            else:
                cell = evaluate_cell(
                    task, spec, pool[:size], test_rows, seed, arch_cache[task.name]
                )
                row = {**base, "status": "ok", **cell}
        except _Skip as reason:
            row = {**base, "status": "skipped", "error": str(reason)}
        except Exception as err:  # noqa: BLE001 - one failing cell must not end a long study
            row = failed_row(base, err)
        store.add(row)
        bar.update()
    bar.close()
    return stored_predictor_results(tasks, store, test_size=test_size)


def stored_predictor_results(
    tasks: Sequence[Task], store: ResultsStore | str | Path, *, test_size: int = 1000
) -> pd.DataFrame:
    """The predictor-study rows in ``store`` computed on ``tasks`` as they are now
    (keyed by :func:`data_tag`), without running anything: what
    :func:`run_predictor_study` returns, for tabulating a finished store."""
    store = store if isinstance(store, ResultsStore) else ResultsStore(store)
    tags = {t.name: data_tag(t, test_size) for t in tasks}
    return current_rows(store.frame(), "predictors", tags)


class _Skip(Exception):
    """A cell that cannot run on this task (not an error of the predictor)."""


def _unit(data: str, task: Task, seed: int, spec: PredictorSpec, size: int) -> str:
    return f"{task.name}|data={data}|seed={seed}|{spec.id}|n={size}"
