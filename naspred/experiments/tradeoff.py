"""The initialisation-versus-query trade-off study of performance predictors.

White, Zela, Ru, Liu and Hutter, "How Powerful are Performance Predictors in
Neural Architecture Search?", NeurIPS 2021, Figure 1. A predictor costs time
twice: *initialisation* (training its training set to completion, plus its fit
time) and *query* (per queried arch: the partial training its learning-curve
features need, the zero-cost proxies it reads, plus its query time). On a task
with per-epoch learning curves and epoch times, every predictor is evaluated
(Kendall tau on a held-out test set, several seeds) over a grid of training-set
sizes and partial-training epochs, and its costs are charged in seconds from the
recorded epoch times and stored proxy times (``init_data_s``, ``query_data_s``;
the measured fit/query times are recorded beside, in ``init_s`` and
``query_arch_s``, but as they move with the machine's load they decide nothing).
For each (init budget, query budget) cell of a grid, the best predictor whose
recorded costs fit both budgets is the one shown, as in the paper's figure:

* model-based predictors (xgb, ngb, ...) pay only initialisation;
* learning-curve predictors (early stopping, SoTL, SoTL-E, LCE) only query;
* hybrids (LcSVR, OMNI) both;
* zero-cost proxies only their compute time per arch (query), when the task
  stores it (0 when it does not, said in the table's notes).

Every evaluated (seed, predictor, training size, epochs) unit goes to the
results store of the predictor study at once, so a killed study resumes.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from naspred.benchmarks.task import Task
from naspred.errors import InvalidInputError
from naspred.experiments.predictors import TaskArchs, evaluate_cell, split
from naspred.experiments.units import SkipUnit, Unit, current_rows, data_tag, run_units
from naspred.journal import Journal
from naspred.parallel import Backend
from naspred.predictors.spec import PredictorSpec
from naspred.reports.figures import tradeoff_figure  # noqa: F401 - re-exported
from naspred.reports.tradeoff import (  # noqa: F401 - re-exported: the CLI, studies, tests use them
    best_per_budget,
    curve_benchmark_summary,
    default_budgets,
    kendall_by_epochs,
    summarise_configs,
    write_tradeoff_tables,
)

log = logging.getLogger(__name__)

#: the predictors of the default study: model-based, learning-curve, hybrid, zero-cost
#: Held-out archs per seed, unless the task has fewer than twice as many.
DEFAULT_TEST_SIZE = 200
DEFAULT_PREDICTORS: tuple[str, ...] = (
    "xgb",
    "early_stopping",
    "sotl",
    "sotl_e",
    "lce",
    "lcsvr",
    "omni:n_estimators=200",
    "zc:proxy=jacov",
    "zc:proxy=synflow",
)


@dataclass(frozen=True)
class _Plan:
    """How one predictor is swept: its training sizes, epochs and fixed extras."""

    spec: PredictorSpec
    sizes: tuple[int, ...]
    epochs: tuple[int | None, ...]  # None: the predictor takes no `epochs`
    extra: dict[str, Any]
    proxies: tuple[str, ...]
    curve_metrics: tuple[str, ...]


def _accepted(name: str) -> set[str]:
    from naspred.predictors import predictor_class

    base = name.partition(":")[0]
    return set(inspect.signature(predictor_class(base).__init__).parameters) - {"self"}


def _training_free(predictor: Any) -> bool:
    from naspred.predictors.base import ZeroCostPredictor

    return isinstance(predictor, ZeroCostPredictor) or bool(
        getattr(predictor, "training_free", False)
    )


def default_query_epochs(n_epochs: int) -> tuple[int, ...]:
    """Partial-training lengths swept by default: 1, 2, 4, 8, ... below ``n_epochs``
    (training to the end is what the target measures, so it is left out)."""
    return tuple(e for e in (1, 2, 4, 8, 16, 32, 64, 128) if e < n_epochs)


def _plan(
    task: Task, spec: PredictorSpec, train_sizes: Sequence[int], query_epochs: Sequence[int]
) -> _Plan:
    """How ``spec`` is swept, from what it declares in ``needs``: a predictor that reads
    a partial learning curve (``needs.curve_epochs > 0``) and does not fix its length
    in the spec is swept over ``query_epochs`` through its ``epochs`` hyper-parameter;
    one that reads none (an MLP whose ``epochs`` is its own training length, say) is
    never charged partial training."""
    from naspred.predictors import make_predictor

    extra: dict[str, Any] = {}
    if "final_epoch" in _accepted(spec.name) and "final_epoch" not in spec.params:
        # LCE extrapolates to the end of the task's schedule
        extra["final_epoch"] = task.n_epochs
    probe = make_predictor(spec.name, **{**spec.params, **extra})
    needs = probe.needs
    sweeps_epochs = needs.curve_epochs > 0 and "epochs" not in spec.params
    if sweeps_epochs:
        for e in query_epochs:
            swept = make_predictor(spec.name, **{**spec.params, **extra, "epochs": e}).needs
            if swept.curve_epochs != e:
                raise InvalidInputError(
                    f"predictor {spec.id} reads a partial curve but epochs={e} makes it read "
                    f"{swept.curve_epochs} epochs; fix its curve length in the spec "
                    "(e.g. NAME:epochs=4)"
                )
    epochs: tuple[int | None, ...] = tuple(query_epochs) if sweeps_epochs else (None,)
    sizes = (0,) if _training_free(probe) else tuple(sorted(train_sizes))
    metrics = needs.curve_metrics if needs.curve_epochs else ()
    return _Plan(spec, sizes, epochs, extra, needs.proxies, tuple(metrics))


def _unit(data: str, task: Task, seed: int, spec: PredictorSpec, size: int, e: int | None) -> str:
    return f"tradeoff|{task.name}|data={data}|seed={seed}|{spec.id}|n={size}|e={e or 0}"


def _train_seconds(task: Task, rows: np.ndarray, epochs: int | None = None) -> np.ndarray:
    """Recorded seconds to train each arch at ``rows`` for ``epochs`` epochs (all: None)."""
    times = np.asarray(task.curves["epoch_time"], dtype=float)[rows]
    if epochs is not None:
        times = times[:, :epochs]
    return np.nansum(times, axis=1)


def _proxy_seconds(task: Task, rows: np.ndarray, proxies: Sequence[str]) -> tuple[np.ndarray, bool]:
    """Per-arch seconds of computing ``proxies`` (stored times); and whether any was unknown."""
    total = np.zeros(len(rows))
    unknown = False
    for name in proxies:
        times = task.proxy_times.get(name)
        values = np.full(len(rows), np.nan) if times is None else np.asarray(times, float)[rows]
        unknown |= bool((~np.isfinite(values)).any())
        total += np.nan_to_num(values, nan=0.0, posinf=0.0)
    return total, unknown


def check_curve_task(task: Task) -> None:
    """Raise ``ValueError`` naming what is missing if ``task`` cannot run the study."""
    if "epoch_time" not in task.curves:
        have = sorted(task.curves) or "none"
        raise InvalidInputError(
            f"task {task.name} has no per-epoch training times (curves: {have}); the "
            "trade-off study needs a learning-curve benchmark (naspred make-benchmark)"
        )
    if task.n_epochs < 2:
        raise InvalidInputError(f"task {task.name} has {task.n_epochs} epochs of curves; need >= 2")


def run_tradeoff_study(
    task: Task,
    predictors: Sequence[PredictorSpec],
    store: str | Path | Journal,
    *,
    train_sizes: Sequence[int] = (10, 30, 100, 300),
    query_epochs: Sequence[int] | None = None,
    seeds: Sequence[int] = (0, 1, 2),
    test_size: int | None = None,
    progress: bool = True,
    retry_failed: bool = False,
    backend: Backend = "serial",
    n_jobs: int | None = None,
    address: str | None = None,
    torch_threads: int | None = 1,
) -> pd.DataFrame:
    """Evaluate every (seed, predictor, training size, epochs) unit not yet in ``store``.

    A predictor that reads a partial learning curve (``needs.curve_epochs``; its
    ``epochs`` not fixed in the spec) is swept over ``query_epochs`` (default
    :func:`default_query_epochs`); one that learns
    nothing from trained archs (learning-curve predictors, zero-cost proxies) is
    run once per seed and epochs, with no training set; the others over
    ``train_sizes`` (sizes larger than the training pool are skipped). LCE's
    ``final_epoch`` is set to the task's number of epochs.

    The test set per seed is shared by every predictor: archs with a finite target,
    complete curves and, for each proxy some predictor reads that the task stores,
    a finite score. Returns the store's rows of this task (``status`` ok / skipped /
    failed), with the costs: ``init_s`` (seconds to fully train the training set,
    its proxies, plus fit time) and ``query_arch_s`` (seconds per queried arch:
    partial training, proxies, plus query time per arch).

    Args:
        task: a task with learning curves and epoch times.
        predictors: the predictors, each with its hyper-parameters.
        store: the results journal (path or :class:`~naspred.journal.Journal`).
        train_sizes: training-set sizes.
        query_epochs: epochs of partial curve at query (None: :func:`default_query_epochs`).
        seeds: one test set and training pool per seed.
        test_size: held-out archs per seed (None: 200, or half a smaller task's).
        progress: show a progress bar.
        retry_failed: run units recorded as failed again.
        backend: ``"serial"`` (this process), ``"local"`` (worker processes) or
            ``"ray"`` (:func:`naspred.parallel.parallel_map`); the scores are the same
            on each, only the measured fit and query times differ.
        n_jobs: workers (None: every CPU this process may use, or the cluster's).
        address: Ray cluster address (ray backend).
        torch_threads: torch threads per worker (local, ray).
    """
    check_curve_task(task)
    journal = store if isinstance(store, Journal) else Journal(store)
    epochs = (
        tuple(query_epochs) if query_epochs is not None else default_query_epochs(task.n_epochs)
    )
    bad = [e for e in epochs if not 1 <= e <= task.n_epochs]
    if bad:
        raise InvalidInputError(
            f"query epochs {bad} are outside 1..{task.n_epochs} for task {task.name}"
        )
    plans = [_plan(task, spec, train_sizes, epochs) for spec in predictors]

    eligible = np.isfinite(task.val_accuracy)
    metrics = {"epoch_time"} | {m for p in plans for m in p.curve_metrics}
    for metric in sorted(metrics & set(task.curves)):
        eligible &= np.isfinite(np.asarray(task.curves[metric], float)).all(axis=1)
    for name in sorted({p for plan in plans for p in plan.proxies} & set(task.proxies)):
        eligible &= task.has_proxy(name) & np.isfinite(task.proxies[name])
    if test_size is None:  # a small (e.g. still growing) benchmark tests on half its archs
        test_size = min(DEFAULT_TEST_SIZE, int(eligible.sum()) // 2)
    if eligible.sum() <= test_size or test_size < 1:
        raise InvalidInputError(
            f"task {task.name}: {int(eligible.sum())} archs have a target, complete curves "
            f"and the proxies read; too few for a test set of {test_size}"
        )

    data = data_tag(task, test_size)
    archs = TaskArchs(task)
    units = [
        Unit(
            _unit(data, task, seed, plan.spec, size, e),
            _tradeoff_cell,
            (task, plan, seed, size, e, test_size, eligible, archs),
            {
                "study": "tradeoff",
                "task": task.name,
                "data": data,
                "seed": seed,
                "predictor": plan.spec.id,
                "train_size": size,
                "epochs": 0 if e is None else e,
                "test_size": test_size,
            },
        )
        for seed in seeds
        for plan in plans
        for size in plan.sizes
        for e in plan.epochs
    ]
    run_units(
        units,
        journal,
        retry_failed=retry_failed,
        progress=progress,
        desc="trade-off study",
        backend=backend,
        n_jobs=n_jobs,
        address=address,
        torch_threads=torch_threads,
    )
    return current_rows(journal.frame(), "tradeoff", {task.name: data})


def _tradeoff_cell(
    task: Task,
    plan: _Plan,
    seed: int,
    size: int,
    e: int | None,
    test_size: int,
    eligible: np.ndarray,
    archs: TaskArchs,
) -> dict[str, Any]:
    """One (seed, predictor, size, epochs) unit: its scores and its costs in seconds."""
    test_rows, pool = split(task, seed, test_size, eligible)
    if size > len(pool):
        raise SkipUnit(f"only {len(pool)} training archs")
    train_rows = pool[:size]
    spec = plan.spec
    params = {**spec.params, **plan.extra, **({} if e is None else {"epochs": e})}
    cell = evaluate_cell(
        task, PredictorSpec(spec.name, params), train_rows, test_rows, seed, archs.get()
    )
    init_data = float(_train_seconds(task, train_rows).sum())
    proxy_init, _ = _proxy_seconds(task, train_rows, plan.proxies)
    proxy_query, unknown = _proxy_seconds(task, test_rows, plan.proxies)
    query_data = float(_train_seconds(task, test_rows, e).mean()) if e is not None else 0.0
    return {
        **cell,
        "init_data_s": init_data + float(proxy_init.sum()),
        "query_data_s": query_data + float(proxy_query.mean()),
        "init_s": init_data + float(proxy_init.sum()) + cell["fit_s"],
        "query_arch_s": query_data + float(proxy_query.mean()) + cell["query_s"] / len(test_rows),
        "proxy_time_unknown": unknown,
    }


def synthetic_curve_task(task: Task, n_epochs: int = 20, seed: int = 0, noise: float = 0.5) -> Task:
    """``task`` with synthetic learning curves, for tests and for trying the study
    before a measured learning-curve benchmark is at hand (never as a result).

    Per arch: a saturating validation-accuracy curve ``A - (A - b) exp(-r t)``
    whose value at the last epoch is the arch's ``val_accuracy`` plus Gaussian
    noise (std ``noise`` points), with a random rate ``r`` (so early epochs rank
    the archs imperfectly), per-epoch noise; a training loss that decays to a
    floor lower for more accurate archs; and a constant epoch time (lognormal,
    2-20 s) with 5 % jitter. Curves are in percent, like ``val_accuracy``.
    """
    rng = np.random.default_rng(seed)
    n = len(task)
    t = np.arange(1, n_epochs + 1, dtype=float)[None, :]
    final = np.asarray(task.val_accuracy, float) + rng.normal(0, noise, n)
    final = np.clip(np.nan_to_num(final, nan=10.0), 1.0, 99.9)
    rate = rng.uniform(0.08, 0.45, n)[:, None]
    start = rng.uniform(10.0, 30.0, n)[:, None]
    start = np.minimum(start, final[:, None] - 0.5)
    decay = np.exp(-rate * n_epochs)
    asym = (final[:, None] - start * decay) / (1.0 - decay)
    val = asym - (asym - start) * np.exp(-rate * t) + rng.normal(0, 0.4, (n, n_epochs))
    val[:, -1] = final
    floor = 0.05 + 1.5 * (1.0 - final / 100.0) + rng.normal(0, 0.01, n)
    loss_rate = rate * rng.uniform(0.8, 1.25, (n, 1))
    loss = floor[:, None] + (2.3 - floor[:, None]) * np.exp(-loss_rate * t)
    loss = np.maximum(loss + rng.normal(0, 0.01, (n, n_epochs)), 1e-3)
    epoch = np.exp(rng.uniform(np.log(2.0), np.log(20.0), n))[:, None]
    epoch_time = epoch * rng.uniform(0.95, 1.05, (n, n_epochs))
    train_acc = np.clip(100.0 * (1.0 - loss / 2.5), 0.0, 100.0)
    return replace(
        task,
        curves={
            "val_accuracy": np.clip(val, 0.0, 100.0),
            "val_loss": loss * 1.1,
            "train_loss": loss,
            "train_accuracy": train_acc,
            "epoch_time": epoch_time,
        },
        source=f"{task.source} + synthetic curves (seed {seed})",
    )
