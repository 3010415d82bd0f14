"""The tables and figures of the correlation study, written as one set.

In the output directory:

- ``correlations.csv`` — one row per (task, proxy): Spearman, Kendall, Pearson,
  top-k precision/recall, archs used and non-finite scores dropped;
- ``mean_rank.csv`` — each proxy's mean rank (by Spearman) across tasks;
- ``cross_spearman.csv`` — every pairwise Spearman within every task;
- ``correlations.md`` — the same as readable tables;
- ``spearman.png`` — proxy x task Spearman heatmap;
- ``heatmaps/<space>__<dataset>.png`` — cross-proxy Spearman per task (ground truth
  included), and ``heatmap_mean.png`` averaged over tasks.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import pandas as pd
from tqdm.auto import tqdm

from naspred.benchmarks.task import TARGET, Task
from naspred.reports.figures import correlation_heatmap
from naspred.reports.output import output_dir, relocate
from naspred.reports.tables import THIN_TEST_SET, format_table, write_csv, write_text

#: The files this writer produces (patterns relative to the output directory).
OUTPUTS = (
    "correlations.csv",
    "mean_rank.csv",
    "cross_spearman.csv",
    "correlations.md",
    "spearman.png",
    "heatmap_mean.png",
    "heatmaps/*.png",
)


class CorrelationResults(Protocol):
    """What the writer reads of a study's results
    (:class:`naspred.experiments.correlations.CorrelationStudy`)."""

    table: pd.DataFrame
    ranks: pd.DataFrame
    cross: dict[str, pd.DataFrame]
    mean_cross: pd.DataFrame

    def pivot(self, metric: str = "spearman") -> pd.DataFrame:
        """Proxies x tasks table of ``metric``."""
        ...


def write_correlation_tables(
    study: CorrelationResults,
    tasks: Sequence[Task],
    out_dir: str | Path,
    *,
    counts: dict[str, pd.DataFrame],
    mean_count: pd.DataFrame,
    title: str,
    progress: bool = True,
) -> list[Path]:
    """Write every table and figure of the correlation study to ``out_dir``, whole
    (:func:`naspred.reports.output.output_dir`).

    Args:
        study: the computed correlations.
        tasks: the tasks studied, in order.
        out_dir: the output directory.
        counts: per task, the archs each cross-correlation rests on.
        mean_count: per cell of ``study.mean_cross``, the tasks it averages.
        title: the title of the markdown and the figures.
        progress: show a progress bar over the heatmaps.

    Returns:
        The files written, as installed in ``out_dir``.
    """
    with output_dir(out_dir, owns=OUTPUTS) as out:
        files = [
            write_csv(study.table, out / "correlations.csv"),
            write_csv(study.ranks, out / "mean_rank.csv"),
            write_csv(_long_cross(study.cross, counts), out / "cross_spearman.csv"),
            write_text(_markdown(study, tasks, title), out / "correlations.md"),
        ]
        if not study.table.empty:
            files.append(
                correlation_heatmap(
                    study.pivot("spearman"),
                    out / "spearman.png",
                    title=f"{title}: Spearman with {TARGET}",
                )
            )
        bar = tqdm(study.cross.items(), desc="heatmaps", unit="task", disable=not progress)
        for name, matrix in bar:
            files.append(
                correlation_heatmap(
                    matrix,
                    out / "heatmaps" / f"{name.replace('/', '__')}.png",
                    title=f"Spearman, {name}",
                )
            )
        files.append(
            correlation_heatmap(
                study.mean_cross,
                out / "heatmap_mean.png",
                title=f"Spearman averaged over {len(tasks)} tasks (tasks per cell)",
                counts=mean_count,
            )
        )
    return relocate(files, out, out_dir)


def _long_cross(cross: dict[str, pd.DataFrame], counts: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rows = []
    for task, matrix in cross.items():
        n = counts[task]
        for a in matrix.index:
            for b in matrix.columns:
                rows.append(
                    {"task": task, "a": a, "b": b, "spearman": matrix.at[a, b], "n": n.at[a, b]}
                )
    return pd.DataFrame(rows)


def _markdown(study: CorrelationResults, tasks: Sequence[Task], title: str) -> str:
    lines = [f"# {title}", ""]
    lines += [
        f"Correlation of each stored proxy with `{TARGET}` over {len(tasks)} task(s). "
        "Archs whose score or accuracy is NaN/inf are left out and counted; archs the source "
        "stores no score for are left out too. "
        "Mean rank: rank by Spearman within each task (1 = best), averaged over the tasks "
        "holding the proxy.",
        "",
        "## Tasks",
        "",
        format_table(
            pd.DataFrame(
                [
                    {
                        "task": t.name,
                        "archs": len(t),
                        "proxies": len(t.proxies),
                        "source": Path(t.source).name,
                    }
                    for t in tasks
                ]
            ),
            index=False,
        ),
        "",
    ]
    if study.table.empty:
        lines += ["The tasks hold no proxy scores; see the cross-correlation heatmaps.", ""]
        return "\n".join(lines)
    thin = study.table[study.table["n"] < THIN_TEST_SET]
    if len(thin):
        pairs = ", ".join(f"{r.proxy} on {r.task} ({int(r.n)})" for r in thin.itertuples())
        lines += [
            f"**Warning: {len(thin)} correlation(s) rest on fewer than {THIN_TEST_SET} archs** "
            f"and are too noisy to rank proxies by: {pairs}.",
            "",
        ]
    ranks = study.ranks.set_index("proxy")
    for metric in ("spearman", "kendall"):
        pivot = study.pivot(metric)
        pivot["mean rank"] = ranks["mean_rank"]
        pivot["tasks"] = ranks["tasks"]
        lines += [f"## {metric.capitalize()} with `{TARGET}`", "", format_table(pivot, ".3f"), ""]
    used = study.table.assign(
        cell=lambda f: (
            f["n"].astype(int).astype(str) + " / " + f["n_nonfinite"].astype(int).astype(str)
        )
    ).pivot(index="proxy", columns="task", values="cell")
    lines += [
        "## Archs used / non-finite scores left out",
        "",
        "Archs with no stored score for a proxy are not counted here (see `n_missing` in the CSV).",
        "",
        format_table(used.reindex(index=study.pivot().index, columns=study.pivot().columns)),
        "",
        "## Mean rank across tasks",
        "",
        format_table(study.ranks, ".3f", index=False),
        "",
    ]
    return "\n".join(lines)
