"""The tables and figure of a NAS-loop experiment, and the summaries they rest on.

``search_curves`` turns a search history (every query of every method and seed,
:func:`naspred.experiments.nas_loop.run_search_experiment`) into the mean and
standard error of the best-so-far per method and query count;
``summarise_search`` gives the table at a few checkpoints;
``write_search_outputs`` writes CSV, markdown and a PNG as one set.
"""

from __future__ import annotations

import glob
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from naspred.reports.figures import plot_search_curves
from naspred.reports.output import output_dir, relocate
from naspred.reports.tables import format_table, write_csv, write_text


def search_curves(history: pd.DataFrame, budget: int | None = None) -> pd.DataFrame:
    """Best-so-far per method and query count: ``mean``, ``sem`` (standard error over
    seeds) and ``n_seeds``. A run that stopped early keeps its last best up to
    ``budget``.

    Args:
        history: every query of every method and seed (``method``, ``seed``,
            ``query``, ``best``).
        budget: the last query count; default: the longest run's.

    Returns:
        One row per (method, query).
    """
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
    arch of the benchmark) if given, and the mean wall time of a run.

    Args:
        history: every query of every method and seed, with ``run_s``.
        checkpoints: query counts to report (those past the budget are left out;
            none left: the budget).
        optimum: the best accuracy in the benchmark, for a ``regret@<budget>`` column.

    Returns:
        The summary table, one row per method.
    """
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
    summary table) and ``<stem>.png`` (the curves) to ``out_dir``, whole
    (:func:`naspred.reports.output.output_dir`; other files there survive).

    Args:
        history: every query of every method and seed.
        out_dir: the output directory.
        title: the title of the markdown and the figure.
        optimum: the best accuracy in the benchmark (regret column, dotted line).
        checkpoints: query counts at which the summary table reports the best found.
        stem: the name the four files share.
        notes: a paragraph added to the markdown.

    Returns:
        The files written, as installed in ``out_dir``, by kind: ``history``,
        ``curves``, ``summary``, ``figure``.
    """
    curves = search_curves(history)
    summary = summarise_search(history, checkpoints, optimum)
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
    text += [
        f"![best accuracy found vs queries]({stem}.png)",
        "",
        f"Best accuracy found vs oracle queries (n = {len(seeds)} runs per method, mean ± "
        "standard error band).",
        "",
    ]
    name = glob.escape(stem)
    owns = (f"{name}.csv", f"{name}_curves.csv", f"{name}.md", f"{name}.png")
    with output_dir(out_dir, owns=owns) as out:
        paths = {
            "history": write_csv(history, out / f"{stem}.csv"),
            "curves": write_csv(curves, out / f"{stem}_curves.csv"),
            "summary": write_text("\n".join(text), out / f"{stem}.md"),
            "figure": plot_search_curves(
                curves,
                out / f"{stem}.png",
                title=title,
                optimum=optimum,
                skip_first=min(10, budget - 1),
            ),
        }
    return dict(zip(paths, relocate(paths.values(), out, out_dir), strict=True))
