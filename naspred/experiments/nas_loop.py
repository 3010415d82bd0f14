"""NAS-loop experiments: run search methods over seeds against a benchmark oracle,
summarise best-found accuracy against queries, and draw the curves.

``run_search_experiment`` returns one long history (every query of every method
and seed); ``search_curves`` turns it into mean and standard error of the
best-so-far per method and query count; ``summarise_search`` gives the table at a
few checkpoints; ``write_search_outputs`` writes CSV, markdown and a PNG.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from naspred.benchmarks.task import TARGET, Task
from naspred.errors import NaspredError
from naspred.experiments.units import Unit, run_units
from naspred.journal import Journal
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


def search_curves(history: pd.DataFrame, budget: int | None = None) -> pd.DataFrame:
    """Best-so-far per method and query count: ``mean``, ``sem`` (standard error over
    seeds) and ``n_seeds``. A run that stopped early keeps its last best up to
    ``budget`` (default: the longest run)."""
    budget = int(history["query"].max()) if budget is None else budget
    queries = np.arange(1, budget + 1)
    rows = []
    for method, runs in history.groupby("method", sort=False):
        per_seed = []
        for _, run in runs.groupby("seed"):
            best = run.set_index("query")["best"].reindex(queries).ffill()
            per_seed.append(best.to_numpy())
        values = np.vstack(per_seed)
        n = np.sum(np.isfinite(values), axis=0)
        mean = np.nanmean(values, axis=0)
        std = np.nanstd(values, axis=0, ddof=1) if values.shape[0] > 1 else np.full(budget, np.nan)
        rows.append(
            pd.DataFrame(
                {
                    "method": method,
                    "query": queries,
                    "mean": mean,
                    "sem": std / np.sqrt(np.maximum(n, 1)),
                    "n_seeds": n,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def summarise_search(
    history: pd.DataFrame,
    checkpoints: Sequence[int] = (25, 50, 100, 150),
    optimum: float | None = None,
) -> pd.DataFrame:
    """One row per method: best accuracy found (mean ± standard error over seeds) at
    each checkpoint query count, the final regret against ``optimum`` (the best
    arch of the benchmark) if given, and the mean wall time of a run."""
    budget = int(history["query"].max())
    checkpoints = [c for c in checkpoints if c <= budget] or [budget]
    curves = search_curves(history, budget)
    rows = []
    for method, curve in curves.groupby("method", sort=False):
        curve = curve.set_index("query")
        row: dict[str, object] = {"method": method, "seeds": int(curve["n_seeds"].max())}
        for c in checkpoints:
            row[f"best@{c}"] = f"{curve.at[c, 'mean']:.2f} ± {curve.at[c, 'sem']:.2f}"
        if optimum is not None:
            row[f"regret@{budget}"] = round(optimum - float(curve.at[budget, "mean"]), 3)
        runs = history[history["method"] == method].groupby("seed")["run_s"].first()
        row["run_s"] = round(float(runs.mean()), 2)
        rows.append(row)
    return pd.DataFrame(rows)


def plot_search_curves(
    curves: pd.DataFrame,
    path: str | Path,
    *,
    title: str,
    ylabel: str = "best validation accuracy found (%)",
    optimum: float | None = None,
    skip_first: int = 0,
) -> Path:
    """Best-so-far (mean ± standard error band) against queries, one line per method,
    written as PNG. ``skip_first`` hides the first queries, where random draws swamp
    the scale."""
    import matplotlib

    matplotlib.use("Agg")  # headless, as naspred.reports.figures: studies run on servers
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(7.0, 4.5))
    for method, curve in curves.groupby("method", sort=False):
        curve = curve[curve["query"] > skip_first]
        x, mean = curve["query"].to_numpy(), curve["mean"].to_numpy()
        sem = np.nan_to_num(curve["sem"].to_numpy())
        (line,) = ax.plot(x, mean, label=str(method), linewidth=1.6)
        ax.fill_between(x, mean - sem, mean + sem, color=line.get_color(), alpha=0.2, linewidth=0)
    if optimum is not None:
        ax.axhline(optimum, color="black", linestyle=":", linewidth=1, label="best in benchmark")
    ax.set_xlabel("oracle queries (archs trained)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


def write_search_outputs(
    history: pd.DataFrame,
    out_dir: str | Path,
    *,
    title: str,
    optimum: float | None = None,
    checkpoints: Sequence[int] = (25, 50, 100, 150),
    stem: str = "nas_loop",
    notes: str = "",
) -> dict[str, Path]:
    """Write ``<stem>.csv`` (every query), ``<stem>_curves.csv``, ``<stem>.md`` (the
    summary table) and ``<stem>.png`` (the curves) under ``out_dir``."""
    from naspred.reports.tables import format_table, write_csv

    out_dir = Path(out_dir)
    curves = search_curves(history)
    summary = summarise_search(history, checkpoints, optimum)
    paths = {
        "history": write_csv(history, out_dir / f"{stem}.csv"),
        "curves": write_csv(curves, out_dir / f"{stem}_curves.csv"),
    }
    budget = int(history["query"].max())
    seeds = sorted(int(s) for s in history["seed"].unique())
    seed_text = (
        f"{seeds[0]}..{seeds[-1]}" if seeds == list(range(seeds[0], seeds[-1] + 1)) else str(seeds)
    )
    text = [
        f"# {title}",
        "",
        f"Best accuracy found (mean ± standard error over {len(seeds)} seeds, {seed_text}) "
        f"after a number of oracle queries, budget {budget}."
        + (f" Best arch in the benchmark: {optimum:.2f}." if optimum is not None else ""),
        "",
        format_table(summary, index=False),
        "",
    ]
    if notes:
        text += [notes.strip(), ""]
    text += [f"![best accuracy found vs queries]({stem}.png)", ""]
    paths["summary"] = out_dir / f"{stem}.md"
    paths["summary"].write_text("\n".join(text))
    paths["figure"] = plot_search_curves(
        curves,
        out_dir / f"{stem}.png",
        title=title,
        optimum=optimum,
        skip_first=min(10, budget - 1),
    )
    return paths
