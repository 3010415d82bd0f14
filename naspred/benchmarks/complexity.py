"""Params and FLOPs for every arch of a task, from the networks naspred builds.

The Suite-Zero records store ``params`` and ``flops`` for only some archs (491 of
NB201's 15,625). Our networks reproduce the stored values exactly (see
``naspred.spaces.complexity``), so a task can carry both for every arch: then
predictors that read them (``zc:params``, ``zc_xgb``) can be studied on train and
test sets drawn from the whole space.
"""

from __future__ import annotations

import logging

import numpy as np

from naspred.benchmarks.task import Task
from naspred.errors import InvalidInputError

log = logging.getLogger(__name__)

#: The cost measures a space's ``complexity(arch, dataset)`` returns, in that order.
COST_MEASURES = ("params", "flops")


def with_complexity(task: Task, *, rtol: float = 1e-3) -> Task:
    """A copy of ``task`` with ``params`` and ``flops`` (millions) for every arch.

    Stored values are kept; archs without one get the value of the network we
    build. Where both exist they must agree within ``rtol`` (a disagreement means
    the task's keys are read differently than the space builds them, and raises).

    Raises:
        ValueError: the task's space has no ``complexity`` method, or a computed
            value disagrees with a stored one.
    """
    from naspred.spaces import get_space

    space = get_space(task.space)
    if not hasattr(space, "complexity"):
        raise InvalidInputError(
            f"task {task.name}: space {task.space!r} has no params/FLOPs counter; "
            "with_complexity works for nasbench201, nasbench101 and nasbench301"
        )
    cost = np.array(
        [space.complexity(space.from_key(k), task.dataset) for k in task.keys], dtype=float
    )
    scores: dict[str, np.ndarray] = {}
    for j, name in enumerate(COST_MEASURES):
        computed = cost[:, j]
        if name in task.proxies:
            stored = np.asarray(task.proxies[name], dtype=float)
            have = task.has_proxy(name) & np.isfinite(stored)
            off = have & ~np.isclose(computed, stored, rtol=rtol, atol=0.0)
            if off.any():
                i = int(np.flatnonzero(off)[0])
                raise InvalidInputError(
                    f"task {task.name}: computed {name} {computed[i]:.6g} of arch "
                    f"{task.keys[i]!r} disagrees with the stored {stored[i]:.6g} "
                    f"({int(off.sum())} archs off by more than rtol={rtol})"
                )
            computed = np.where(have, stored, computed)
            log.info("%s: %s filled for %d archs", task.name, name, int((~have).sum()))
        scores[name] = computed
    return task.with_proxies(scores)
