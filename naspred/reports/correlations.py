"""The tables and figures of the correlation study, written as one set.

In the output directory:

- ``correlations.csv`` — one row per (task, proxy): Spearman, Kendall, Pearson,
  top-k precision/recall, archs used and non-finite scores dropped;
- ``mean_rank.csv`` — each proxy's mean rank (by Spearman) over the tasks the
  ranked proxies share (:func:`naspred.experiments.correlation_stats.mean_ranks`);
- ``cross_spearman.csv`` — every pairwise Spearman within every task;
- ``correlations.md`` — the same as readable tables;
- ``spearman.png`` — proxy x task Spearman heatmap, archs used in each cell;
- ``heatmaps/<space>__<dataset>.png`` — cross-proxy Spearman per task, lower
  triangle, archs per pair in each cell, the task's targets first and the
  proxies in clustering order (:mod:`naspred.reports.heatmap_layout`);
- ``heatmap_mean.png`` — the same averaged over tasks, ``val_accuracy`` and the
  proxies only (no other target), tasks per cell.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import pandas as pd
from tqdm.auto import tqdm

from naspred.benchmarks.task import TARGET, Task, is_cost
from naspred.reports.figures import correlation_heatmap, triangle_heatmap
from naspred.reports.heatmap_layout import TriangleLayout, lower_triangle
from naspred.reports.output import output_dir, relocate
from naspred.reports.tables import THIN_TEST_SET, format_table, write_csv, write_text

log = logging.getLogger(__name__)

#: How the mean rank is computed, said wherever it is shown.
MEAN_RANK_RULE = (
    "Mean rank: proxies are ranked by Spearman (1 = best) within each task among one group "
    "of proxies, and each one's ranks averaged over the tasks every member of the group "
    "holds (`ranked over`, `ranked_tasks` in the CSV; the same for all). The group is the set "
    "of proxies sharing a set of tasks that covers the most (proxy, task) cells; proxies "
    "outside it get no mean rank and follow, with the number of tasks holding them (`tasks`)."
)

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
    failed_as_worst: bool = False,
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
        failed_as_worst: whether the study ranked failures last (said in the markdown).

    Returns:
        The files written, as installed in ``out_dir``.
    """
    figures: list[tuple[str, str, str]] = []  # (file, what it shows, its n)
    with output_dir(out_dir, owns=OUTPUTS) as out:
        files = [
            write_csv(study.table, out / "correlations.csv"),
            write_csv(study.ranks, out / "mean_rank.csv"),
            write_csv(_long_cross(study.cross, counts), out / "cross_spearman.csv"),
        ]
        truth = _truth_label(tasks)
        if not study.table.empty:
            used = study.pivot("n")
            files.append(
                correlation_heatmap(
                    study.pivot("spearman"),
                    out / "spearman.png",
                    title=f"{title}: Spearman with {truth} (archs used)",
                    counts=used,
                )
            )
            figures.append(
                (
                    "spearman.png",
                    f"Spearman with {_ground_truth(tasks)}, proxy x task",
                    _span(used, "archs"),
                )
            )
        targets = {t.name: [TARGET, *t.targets] for t in tasks}
        bar = tqdm(study.cross.items(), desc="heatmaps", unit="task", disable=not progress)
        for name, matrix in bar:
            if len(matrix) < 2:
                log.info("no heatmap for %s: it has %s alone", name, list(matrix.index))
                continue
            layout = _relabel_truth(
                lower_triangle(matrix, counts[name], targets.get(name, [TARGET])),
                _truth_label([t for t in tasks if t.name == name]),
            )
            file = f"heatmaps/{name.replace('/', '__')}.png"
            files.append(
                triangle_heatmap(layout, out / file, title=f"Spearman, {name} (archs per pair)")
            )
            n = _span(layout.counts.where(~layout.mask), "archs per pair")
            figures.append((file, f"cross-correlations, {name}", n))
        if len(study.mean_cross) >= 2:
            layout = _relabel_truth(lower_triangle(study.mean_cross, mean_count, [TARGET]), truth)
            files.append(
                triangle_heatmap(
                    layout,
                    out / "heatmap_mean.png",
                    title=f"Mean Spearman over tasks, {truth} and proxies (n = tasks per cell)",
                    count_label="n={}",
                    cbar_label="mean Spearman",
                )
            )
            n = _span(layout.counts.where(~layout.mask), f"of {len(tasks)} tasks per cell")
            figures.append(("heatmap_mean.png", "cross-correlations averaged over tasks", n))
        files.append(
            write_text(
                _markdown(study, tasks, title, figures, failed_as_worst), out / "correlations.md"
            )
        )
    return relocate(files, out, out_dir)


def _span(counts: pd.DataFrame, unit: str) -> str:
    """``n = 491-15,625 archs`` (or one number) over the cells of ``counts``."""
    values = counts.stack().dropna().astype(int)
    if values.empty:
        return f"n = 0 {unit}"
    lo, hi = int(values.min()), int(values.max())
    return f"n = {lo:,} {unit}" if lo == hi else f"n = {lo:,}-{hi:,} {unit}"


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


def _truth_label(tasks: Sequence[Task]) -> str:
    """The figures' name for what ``val_accuracy`` holds: itself, or the target a
    retargeted task ranks by, marked so that it is told apart from that target's own
    column (which a retargeted task keeps) and, for a cost, shown negated."""
    held = {t.main_target for t in tasks}
    if held == {""} or not held:
        return TARGET
    if len(held) > 1:
        return "ground truth"
    target = held.pop()
    return f"-{target} (ground truth)" if is_cost(target) else f"{target} (ground truth)"


def _relabel_truth(layout: TriangleLayout, label: str) -> TriangleLayout:
    if label == TARGET:
        return layout
    names = {TARGET: label}
    return dataclasses.replace(
        layout,
        values=layout.values.rename(index=names, columns=names),
        counts=layout.counts.rename(index=names, columns=names),
    )


def _ground_truth(tasks: Sequence[Task]) -> str:
    """What the tasks rank against: `val_accuracy`, or the target a retargeted task
    holds in its place (``Task.retarget``; costs negated)."""
    held = {t.main_target or TARGET for t in tasks}
    if held == {TARGET}:
        return f"`{TARGET}`"
    if len(held) == 1:
        target = held.pop()
        sign = "; a cost, negated: higher = better" if is_cost(target) else ""
        return f"`{target}` (in `{TARGET}`'s place{sign})"
    return "each task's ground truth (the target after `@` in its name, else `val_accuracy`)"


def _markdown(
    study: CorrelationResults,
    tasks: Sequence[Task],
    title: str,
    figures: Sequence[tuple[str, str, str]],
    failed_as_worst: bool = False,
) -> str:
    failures = (
        "Archs on which a proxy failed (a failure the source records, such as "
        "NAS-Bench-Suite-Zero's `-1e8`) are ranked last, tied, as the Suite-Zero notebooks "
        "do (`--failed-as-worst`), and counted. "
        if failed_as_worst
        else "Archs on which a proxy failed (a failure the source records, such as "
        "NAS-Bench-Suite-Zero's `-1e8`) are left out and counted apart (`--failed-as-worst` "
        "ranks them last instead, as the Suite-Zero notebooks do). "
    )
    lines = [f"# {title}", ""]
    lines += [
        f"Correlation of each stored proxy with {_ground_truth(tasks)} over {len(tasks)} "
        "task(s). "
        "Archs whose score or accuracy is NaN/inf are left out and counted; archs the source "
        f"stores no score for are left out too. {failures}"
        f"{MEAN_RANK_RULE}",
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
        return "\n".join(lines + _figure_lines(figures))
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
        pivot["ranked over"] = ranks["ranked_tasks"].astype("Int64")
        pivot["tasks"] = ranks["tasks"].astype("Int64")
        lines += [
            f"## {metric.capitalize()} with {_ground_truth(tasks)}",
            "",
            format_table(pivot, ".3f"),
            "",
        ]
    lines += [
        "## Ranking metrics",
        "",
        "Pairwise-order accuracy: the fraction of arch pairs the proxy orders as the "
        "ground truth does (0.5 = chance). nDCG@10: how much of the true top 10, graded "
        "10 for the best down to 1, the proxy's top 10 holds, discounted by position "
        "(1 = exactly the true top 10 in order). Best rank: where the truly best arch "
        "lands in the proxy's order (1 = first).",
        "",
    ]
    for metric, title, fmt in (
        ("pairwise_acc", "Pairwise-order accuracy", ".3f"),
        ("ndcg@10", "nDCG@10", ".3f"),
        ("best_rank", "Rank of the best arch", ".0f"),
    ):
        if metric in study.table:
            lines += [f"### {title}", "", format_table(study.pivot(metric), fmt), ""]
    used = study.table.assign(
        cell=lambda f: (
            f["n"].astype(int).astype(str)
            + " / "
            + f["n_nonfinite"].astype(int).astype(str)
            + " / "
            + f["n_failed"].astype(int).astype(str)
        )
    ).pivot(index="proxy", columns="task", values="cell")
    lines += [
        "## Archs used / non-finite scores left out / failures "
        + ("ranked last" if failed_as_worst else "left out"),
        "",
        "Archs with no stored score for a proxy are not counted here (see `n_missing` in the CSV).",
        "",
        format_table(used.reindex(index=study.pivot().index, columns=study.pivot().columns)),
        "",
        "## Mean rank across tasks",
        "",
        MEAN_RANK_RULE,
        "",
        format_table(study.ranks, ".3f", index=False),
        "",
    ]
    return "\n".join(lines + _figure_lines(figures))


def _figure_lines(figures: Sequence[tuple[str, str, str]]) -> list[str]:
    if not figures:
        return []
    lines = ["## Figures", ""]
    for file, what, n in figures:
        lines += [f"![{what}]({file})", "", f"{what} ({n}).", ""]
    return lines
