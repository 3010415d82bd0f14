"""The correlation study: how well each stored proxy ranks architectures, per task.

One unit per task (its proxy correlations and cross-proxy correlations) on the unit
runner, then the tables and figures of :mod:`naspred.reports.correlations` (whose
docstring lists the files).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from naspred.benchmarks.task import TARGET, Task
from naspred.errors import InvalidInputError, NaspredError
from naspred.experiments.correlation_stats import (
    cross_correlation,
    mean_cross_correlation,
    mean_ranks,
    proxy_correlations,
)
from naspred.experiments.units import MemorySink, Unit, run_units
from naspred.reports.correlations import write_correlation_tables

log = logging.getLogger(__name__)


@dataclass
class CorrelationStudy:
    """Results of :func:`run_correlation_study`, and the files it wrote."""

    table: pd.DataFrame
    ranks: pd.DataFrame
    cross: dict[str, pd.DataFrame]
    mean_cross: pd.DataFrame
    files: list[Path] = field(default_factory=list)

    def pivot(self, metric: str = "spearman") -> pd.DataFrame:
        """Proxies x tasks table of ``metric``, proxies ordered by mean rank."""
        if self.table.empty:
            return pd.DataFrame()
        wide = self.table.pivot(index="proxy", columns="task", values=metric)
        order = [p for p in self.ranks["proxy"] if p in wide.index]
        order += [p for p in wide.index if p not in order]
        tasks = list(dict.fromkeys(self.table["task"]))
        return wide.reindex(index=order, columns=tasks)


def _task_correlations(task: Task, failed_as_worst: bool = False) -> dict[str, pd.DataFrame]:
    """One unit of the study: a task's proxy correlations and cross-correlations."""
    cross, counts = cross_correlation(task.failures_as_worst() if failed_as_worst else task)
    table = proxy_correlations([task], progress=False, failed_as_worst=failed_as_worst)
    return {"table": table, "cross": cross, "counts": counts}


def run_correlation_study(
    tasks: Sequence[Task],
    out_dir: str | Path,
    *,
    title: str = "Zero-cost proxy correlations",
    progress: bool = True,
    failed_as_worst: bool = False,
) -> CorrelationStudy:
    """Compute every table and figure of the correlation study and write them to ``out_dir``.

    Args:
        tasks: the tasks.
        out_dir: where the tables and figures go (replaced whole).
        title: the markdown's heading.
        progress: show progress bars.
        failed_as_worst: rank a proxy's recorded failures last instead of leaving them
            out (see :func:`proxy_correlations`); the tables say which.
    """
    if not tasks:
        raise InvalidInputError("no tasks to study; see `naspred tasks` for what is available")
    out = Path(out_dir)
    sink = MemorySink()
    units = [
        Unit(f"correlations|{task.name}", _task_correlations, (task, failed_as_worst))
        for task in tasks
    ]
    run = run_units(units, sink, progress=progress, desc="correlations")
    if run.failed:
        raise NaspredError(f"correlation study: {run.failures[0]}")
    rows = [sink.rows[unit.key] for unit in units]
    found = [row["table"] for row in rows if not row["table"].empty]
    # no proxy on any task: the empty table with its columns
    table = pd.concat(found, ignore_index=True) if found else proxy_correlations([])
    ranks = mean_ranks(table)
    cross = {task.name: row["cross"] for task, row in zip(tasks, rows, strict=True)}
    counts = {task.name: row["counts"] for task, row in zip(tasks, rows, strict=True)}
    # only val_accuracy and the proxies are averaged: a task's other targets are no proxies
    shown = [
        cross[task.name].loc[keep, keep]
        for task in tasks
        for keep in [[TARGET, *sorted(task.proxies)]]
    ]
    mean_cross, mean_count = mean_cross_correlation(shown)
    study = CorrelationStudy(table, ranks, cross, mean_cross)

    study.files += write_correlation_tables(
        study,
        tasks,
        out,
        counts=counts,
        mean_count=mean_count,
        title=title,
        progress=progress,
        failed_as_worst=failed_as_worst,
    )
    log.info("correlation study: wrote %d files to %s", len(study.files), out)
    return study
