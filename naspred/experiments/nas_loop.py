"""NAS-loop experiments: run search methods over seeds against a benchmark oracle.

``run_search_experiment`` returns one long history (every query of every method
and seed); :mod:`naspred.reports.nas_loop` summarises and writes it
(``search_curves``, ``summarise_search``, ``write_search_outputs``, re-exported here).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from pathlib import Path

import pandas as pd

from naspred.benchmarks.task import TARGET, Task
from naspred.errors import NaspredError
from naspred.experiments.units import Unit, run_units
from naspred.journal import Journal
from naspred.reports.figures import plot_search_curves  # noqa: F401 - re-exported
from naspred.reports.nas_loop import (  # noqa: F401 - re-exported: studies and tests use them
    search_curves,
    summarise_search,
    write_search_outputs,
)
from naspred.search.oracle import BenchmarkOracle

log = logging.getLogger(__name__)

#: ``fn(space, oracle, budget=..., seed=...) -> history`` (a loop of :mod:`naspred.search.loops`,
#: e.g. wrapped in ``functools.partial`` to fix its options).
SearchFn = Callable[..., pd.DataFrame]


def run_search_experiment(
    task: Task,
    space: object,
    methods: Mapping[str, SearchFn],
    budget: int,
    seeds: Iterable[int],
    metric: str = TARGET,
    progress: bool = True,
    store: str | Path | None = None,
    retry_failed: bool = False,
) -> pd.DataFrame:
    """Run every method once per seed, each with a fresh :class:`BenchmarkOracle` of
    ``task`` limited to ``budget`` queries; the histories stacked, with ``method``,
    ``seed`` and ``run_s`` (the run's wall time) columns in front.

    Args:
        task: the benchmark the oracle answers from.
        space: the search space the methods search.
        methods: label -> search function (see :data:`SearchFn`).
        budget: oracle queries per run.
        seeds: one run per method and seed.
        metric: the oracle's target (``val_accuracy`` or any target of the task).
        progress: show a progress bar.
        store: a journal of finished runs (one row per method and seed); a killed
            experiment resumes from it. None: runs are kept in memory only.
        retry_failed: run again the runs recorded as failed.

    Raises:
        NaspredError: a run failed (the finished ones stay in ``store``).
    """
    seeds = list(seeds)
    data = task.digest()
    units = [
        Unit(
            f"nas_loop|{task.name}|data={data}|{metric}|budget={budget}|{name}|"
            f"{_describe(fn)}|seed={seed}",
            _run_method,
            (task, space, name, fn, budget, seed, metric),
            {"method": name, "seed": seed},
        )
        for name, fn in methods.items()
        for seed in seeds
    ]
    journal = Journal(store)
    run = run_units(units, journal, retry_failed=retry_failed, progress=progress, desc="NAS loops")
    if run.failed:
        raise NaspredError(
            f"{run.failed} NAS-loop run(s) failed, e.g. {run.failures[0]}; the finished "
            "ones are kept" + (f" in {store}" if store is not None else "")
        )
    frames = []
    for unit in units:
        row = journal.get(unit.key)
        assert row is not None
        history = pd.DataFrame(row["history"], columns=row["columns"])
        history.insert(0, "run_s", row["run_s"])
        history.insert(0, "seed", row["seed"])
        history.insert(0, "method", row["method"])
        frames.append(history)
    return pd.concat(frames, ignore_index=True)


def _describe(fn: SearchFn) -> str:
    """What a search function is, for a unit key: its name and fixed options."""
    if isinstance(fn, partial):
        options = ",".join(f"{k}={v!r}" for k, v in sorted(fn.keywords.items()))
        return f"{_describe(fn.func)}({options})"
    return f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', repr(fn))}"


def _run_method(
    task: Task, space: object, name: str, fn: SearchFn, budget: int, seed: int, metric: str
) -> dict[str, object]:
    """One search run: its history (as rows) and wall time."""
    oracle = BenchmarkOracle(task, metric=metric, budget=budget)
    start = time.perf_counter()
    history = fn(space, oracle, budget=budget, seed=seed)
    seconds = time.perf_counter() - start
    if oracle.n_queries != len(history):
        raise RuntimeError(
            f"{name} (seed {seed}) made {oracle.n_queries} oracle queries "
            f"but reports {len(history)}"
        )
    log.info(
        "%s seed %d: best %.2f after %d queries (%.1f s)",
        name,
        seed,
        history["best"].iloc[-1] if len(history) else float("nan"),
        len(history),
        seconds,
    )
    return {
        "run_s": seconds,
        "columns": list(history.columns),
        "history": history.to_numpy(dtype=object).tolist(),
    }
