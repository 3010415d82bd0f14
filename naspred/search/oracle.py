"""The training oracle of a NAS loop: a tabular benchmark that answers "how good is
this arch" and counts how often it was asked.

On a tabular benchmark, "training" an arch is a table look-up, so the number of
oracle queries is the search's cost (the x axis of every NAS-loop figure).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from naspred.benchmarks.task import TARGET, Task
from naspred.errors import InvalidInputError, QueryBudgetError, UnknownArchError, UnknownNameError
from naspred.predictors.base import DataNeeds, task_info
from naspred.spaces.base import Arch


class BenchmarkOracle:
    """A :class:`~naspred.benchmarks.Task` as the training oracle of a NAS loop.

    ``oracle(arch)`` returns the task's ``metric`` (``val_accuracy`` by default,
    or any name in ``task.targets``) for ``arch``, looked up by ``arch.to_key()``,
    and counts the query. Every call counts, repeats included (re-training an arch
    costs again); searches avoid repeats themselves. With ``budget``, a query
    beyond it raises :class:`QueryBudgetError`, so no search can overspend.

    Attributes:
        n_queries: queries answered so far.
        queried: ``(key, value)`` of every answered query, in order.
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
    def best_possible(self) -> float:
        """The best finite value of the metric over the whole benchmark (for regret)."""
        return float(np.nanmax(np.where(np.isfinite(self._values), self._values, np.nan)))

    def _rows(self, archs: Sequence[Arch]) -> np.ndarray:
        keys = [a.to_key() for a in archs]
        try:
            return self.task.index(keys)
        except KeyError as err:
            raise UnknownArchError(
                f"the oracle's benchmark {self.task.name} has no record of "
                f"{err.args[0] if err.args else keys}"
            ) from None

    def __call__(self, arch: Arch) -> float:
        """The benchmark's value of ``arch``; counts one query."""
        if self.budget is not None and self.n_queries >= self.budget:
            raise QueryBudgetError(
                f"query budget of {self.budget} spent; {arch.to_key()!r} was not evaluated"
            )
        row = int(self._rows([arch])[0])
        value = float(self._values[row])
        self.n_queries += 1
        self.queried.append((arch.to_key(), value))
        return value

    def info(self, archs: Sequence[Arch], needs: DataNeeds) -> dict[str, np.ndarray]:
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
