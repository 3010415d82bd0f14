"""NAS-loop experiments: run search methods over seeds against a benchmark oracle.

``run_search_experiment`` returns one long history (every query of every method
and seed); :mod:`naspred.reports.nas_loop` summarises and writes it
(``search_curves``, ``summarise_search``, ``write_search_outputs``, re-exported here).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping

import pandas as pd
from tqdm.auto import tqdm

from naspred.benchmarks.task import TARGET, Task
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
) -> pd.DataFrame:
    """Run every method once per seed, each with a fresh :class:`BenchmarkOracle` of
    ``task`` limited to ``budget`` queries; the histories stacked, with ``method``,
    ``seed`` and ``run_s`` (the run's wall time) columns in front."""
    seeds = list(seeds)
    frames = []
    bar = tqdm(total=len(methods) * len(seeds), desc="NAS loops", unit="run", disable=not progress)
    for name, fn in methods.items():
        for seed in seeds:
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
            history.insert(0, "run_s", seconds)
            history.insert(0, "seed", seed)
            history.insert(0, "method", name)
            frames.append(history)
            bar.update()
    bar.close()
    return pd.concat(frames, ignore_index=True)
