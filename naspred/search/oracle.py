"""The training oracle of a NAS loop: a tabular benchmark that answers "how good is
this arch" and counts how often it was asked.

On a tabular benchmark, "training" an arch is a table look-up, so the number of
oracle queries is the search's cost (the x axis of every NAS-loop figure).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from naspred.benchmarks.task import TARGET, Task
from naspred.errors import InvalidInputError, QueryBudgetError, UnknownArchError, UnknownNameError
from naspred.predictors.base import DataNeeds, task_info


class BenchmarkOracle:
    """A :class:`~naspred.benchmarks.Task` as the query-counting training oracle of a
    NAS loop.

    ``oracle(arch)`` returns the task's ``metric`` (``val_accuracy`` by default, or
    any name in ``task.targets``) for one arch, ``oracle.lookup(archs)`` for several,
    both answered by :meth:`Task.lookup <naspred.benchmarks.Task.lookup>`, so an
    arch may come in any form the task's space reads (an ``Arch``, its Suite-Zero
    key, an NB201/NATS string, ...). Every arch answered counts as one query,
    repeats included (re-training an arch costs again; searches avoid repeats
    themselves); :attr:`n_distinct` counts the different archs. With ``budget``, a
    call that would go past it raises :class:`QueryBudgetError` and answers nothing,
    so no search can overspend.

    Args:
        task: the benchmark whose records answer.
        metric: ``val_accuracy`` or any of ``task.targets``.
        budget: the most queries the oracle answers (None: no limit).

    Attributes:
        n_queries: queries answered so far.
        queried: ``(key, value)`` of every answered query, in order (the benchmark
            key, whatever form the arch was given in).
    """

    def __init__(self, task: Task, metric: str = TARGET, budget: int | None = None) -> None:
        if metric == TARGET:
            values = np.asarray(task.val_accuracy, dtype=float)
        elif metric in task.targets:
            values = np.asarray(task.targets[metric], dtype=float)
        else:
            known = [TARGET, *sorted(task.targets)]
            raise UnknownNameError(f"task {task.name} has no target {metric!r}; it has {known}")
        if budget is not None and budget < 0:
            raise InvalidInputError(f"budget must be >= 0, got {budget}")
        self.task = task
        self.metric = metric
        self.budget = budget
        self._values = values
        self.n_queries = 0
        self.queried: list[tuple[str, float]] = []
        self._distinct: set[str] = set()

    @classmethod
    def from_suite_zero(
        cls,
        path: str | Path,
        space: str = "nasbench201",
        dataset: str = "cifar10",
        metric: str = TARGET,
        budget: int | None = None,
    ) -> BenchmarkOracle:
        """The oracle of ``space/dataset`` from Suite-Zero records (a ``zc_<space>.json``
        file or a directory of them)."""
        from naspred.benchmarks import load_suite_zero

        path = Path(path)
        if path.is_dir():
            path = path / f"zc_{space}.json"
        tasks = load_suite_zero(path)
        for task in tasks:
            if task.space == space and task.dataset == dataset:
                return cls(task, metric=metric, budget=budget)
        have = ", ".join(t.name for t in tasks)
        raise UnknownNameError(f"{path} holds no task {space}/{dataset}; it holds {have}")

    @property
    def remaining(self) -> int | None:
        """Queries left in the budget (None: unlimited)."""
        return None if self.budget is None else self.budget - self.n_queries

    @property
    def n_distinct(self) -> int:
        """How many different archs were answered (``n_queries`` less the repeats)."""
        return len(self._distinct)

    @property
    def best_possible(self) -> float:
        """The best finite value of the metric over the whole benchmark (for regret)."""
        return float(np.nanmax(np.where(np.isfinite(self._values), self._values, np.nan)))

    def _rows(self, archs: Sequence[Any]) -> np.ndarray:
        try:
            return self.task.index(archs)
        except KeyError as err:  # UnknownNameError: say whose records lack the arch
            raise UnknownArchError(
                f"the oracle's benchmark {self.task.name} has no record: "
                f"{err.args[0] if err.args else err}"
            ) from None

    def lookup(self, archs: Sequence[Any]) -> np.ndarray:
        """The benchmark's values of ``archs``, in their order; counts one query each.

        Args:
            archs: archs of the task's space in any form :meth:`Task.index
                <naspred.benchmarks.Task.index>` reads.

        Raises:
            QueryBudgetError: the call would go past the budget (nothing is answered
                or counted).
            UnknownArchError: an arch the benchmark holds no record of.
        """
        archs = list(archs)
        if self.budget is not None and self.n_queries + len(archs) > self.budget:
            shown = repr(archs[0]) if len(repr(archs[0])) <= 120 else repr(archs[0])[:117] + "..."
            raise QueryBudgetError(
                f"query budget of {self.budget} would be exceeded: {self.n_queries} spent, "
                f"{len(archs)} more asked for (first {shown}), none evaluated; "
                "give the oracle a larger budget or stop the search at oracle.remaining == 0"
            )
        keys = [self.task.keys[r] for r in self._rows(archs)]
        values = self.task.lookup(keys, target=self.metric)
        self.n_queries += len(keys)
        self.queried += zip(keys, values.tolist(), strict=True)
        self._distinct.update(keys)
        return values

    def __call__(self, arch: Any) -> float:
        """The benchmark's value of ``arch`` (any form :meth:`lookup` reads); counts one query."""
        return float(self.lookup([arch])[0])

    def info(self, archs: Sequence[Any], needs: DataNeeds) -> dict[str, np.ndarray]:
        """The side data a predictor's ``needs`` asks for (stored proxy scores) for
        ``archs``; free, as in the benchmarks' own predictor studies."""
        if needs.network:
            raise InvalidInputError(
                "a tabular oracle holds no networks or data; this predictor builds and runs "
                "networks itself (needs.network), which the NAS loop does not hand over"
            )
        return task_info(self.task, self._rows(archs), needs)

    def __repr__(self) -> str:
        budget = "unlimited" if self.budget is None else str(self.budget)
        return (
            f"BenchmarkOracle({self.task.name!r}, metric={self.metric!r}, "
            f"queries={self.n_queries}, budget={budget})"
        )
