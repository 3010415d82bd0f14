"""Every figure naspred draws, written as PNG: the only module that imports matplotlib.

Each figure is drawn on its own :class:`matplotlib.figure.Figure`, never through
``pyplot``: no backend is selected or changed (``Figure.savefig`` renders a PNG
with Agg by itself), so importing naspred or drawing a study's figures leaves a
user's interactive backend alone, and works headless on servers and in CI.
seaborn is imported where it draws (it imports pyplot, which selects nothing but
is not needed to import naspred) and always gets ``ax=``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from naspred.benchmarks.task import TARGET
from naspred.reports.heatmap_layout import TriangleLayout
from naspred.reports.tables import format_seconds


def _save(fig: Figure, path: Path, dpi: int) -> Path:
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return path


def _prepare(path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def correlation_heatmap(
    matrix: pd.DataFrame,
    path: str | Path,
    *,
    title: str,
    counts: pd.DataFrame | None = None,
    vmin: float = -1.0,
    vmax: float = 1.0,
    cbar_label: str = "Spearman",
    cmap: str = "RdBu_r",
    center: float | None = 0.0,
    rule_after_row: int | None = None,
    outline_diagonal: bool = False,
) -> Path:
    """Annotated heatmap of a (possibly non-square) correlation table.

    Cells with no value stay blank; with ``counts``, each cell also shows how
    many archs (or tasks) it rests on.

    Args:
        matrix: the values, rows and columns labelled.
        path: the PNG to write (parent directories are created).
        title: the figure title.
        counts: per-cell counts, shaped like ``matrix``.
        vmin: value at the bottom of the colour scale.
        vmax: value at the top of the colour scale.
        cbar_label: label of the colour bar.
        cmap: the colour map (a diverging one for correlations, a sequential one
            for quantities that start at 0 such as mutual information).
        center: the value at the colour map's centre (None: none, for sequential maps).
        rule_after_row: draw a black line under this many rows, setting them off
            (a target row above the proxies' rows); None: no line.
        outline_diagonal: outline the diagonal cells (a square matrix whose diagonal
            holds another quantity than the rest).

    Returns:
        ``path``.
    """
    import seaborn as sns

    path = _prepare(path)
    rows, cols = matrix.shape
    fig = Figure(figsize=(1.2 + 0.75 * cols, 1.0 + 0.5 * rows))
    ax = fig.subplots()
    annot = matrix.map(lambda v: "" if pd.isna(v) else f"{v:.2f}")
    if counts is not None:
        annot = annot.where(
            counts.isna() | (annot == ""), annot + "\nn=" + counts.astype("Int64").astype(str)
        )
    sns.heatmap(
        matrix.astype(float),
        ax=ax,
        annot=annot.to_numpy(),
        fmt="",
        cmap=cmap,
        vmin=vmin,
        vmax=vmax,
        center=center,
        linewidths=0.5,
        annot_kws={"fontsize": 7 if counts is None else 6},
        cbar_kws={"label": cbar_label},
    )
    if rule_after_row is not None:
        ax.axhline(rule_after_row, color="black", lw=1.5)
    if outline_diagonal:
        from matplotlib.patches import Rectangle

        for i in range(min(rows, cols)):
            ax.add_patch(Rectangle((i, i), 1, 1, fill=False, edgecolor="black", lw=1.2))
    ax.set_title(title)
    ax.set_xticklabels(ax.get_xticklabels(), rotation=45, ha="right")
    ax.set_yticklabels(ax.get_yticklabels(), rotation=0)
    return _save(fig, path, dpi=120)


def draw_triangle_heatmap(
    layout: TriangleLayout,
    *,
    title: str,
    count_label: str = "n={}",
    cbar_label: str = "Spearman",
) -> Figure:
    """The lower triangle of a correlation matrix, each cell annotated with its
    value and count; the targets' columns (and rows) are set off from the proxies'
    by a black line and bold labels.

    Args:
        layout: what to show (:func:`naspred.reports.heatmap_layout.lower_triangle`).
        title: the figure title.
        count_label: how a cell's count is written, ``{}`` standing for it.
        cbar_label: label of the colour bar.

    Returns:
        The figure (axes 0: the heatmap, axes 1: its colour bar).
    """
    import seaborn as sns

    values, counts = layout.values, layout.counts
    rows, cols = values.shape
    annot = np.full(values.shape, "", dtype=object)
    for i in range(rows):
        for j in range(cols):
            v, c = values.iat[i, j], counts.iat[i, j]
            if not layout.mask[i, j] and pd.notna(v):
                annot[i, j] = f"{v:.2f}\n" + count_label.format(int(c))
    fig = Figure(figsize=(1.6 + 0.62 * cols, 1.2 + 0.5 * rows))
    ax = fig.subplots()
    sns.heatmap(
        values.astype(float),
        ax=ax,
        mask=layout.mask,
        annot=annot,
        fmt="",
        cmap="RdBu_r",
        vmin=-1.0,
        vmax=1.0,
        center=0.0,
        linewidths=0.5,
        annot_kws={"fontsize": 6},
        cbar_kws={"label": cbar_label, "shrink": 0.8},
    )
    k = layout.n_targets
    if 0 < k <= cols:
        # targets are the first k of the cols + 1 names: columns 0..k-1, rows 0..k-2
        ax.plot([k, k], [k - 1, rows], color="black", lw=1.5)
        if k > 1:
            ax.plot([0, k - 1], [k - 1, k - 1], color="black", lw=1.5)
    ax.set_title(title)
    ax.set_xticks(np.arange(cols) + 0.5, list(values.columns), rotation=45, ha="right")
    ax.set_yticks(np.arange(rows) + 0.5, list(values.index), rotation=0)
    for label in ax.get_xticklabels()[:k]:
        label.set_fontweight("bold")
    for label in ax.get_yticklabels()[: max(k - 1, 0)]:
        label.set_fontweight("bold")
    return fig


def triangle_heatmap(
    layout: TriangleLayout,
    path: str | Path,
    *,
    title: str,
    count_label: str = "n={}",
    cbar_label: str = "Spearman",
) -> Path:
    """Write :func:`draw_triangle_heatmap` as a PNG.

    Args:
        layout: what to show.
        path: the PNG to write (parent directories are created).
        title: the figure title.
        count_label: how a cell's count is written, ``{}`` standing for it.
        cbar_label: label of the colour bar.

    Returns:
        ``path``.
    """
    fig = draw_triangle_heatmap(layout, title=title, count_label=count_label, cbar_label=cbar_label)
    return _save(fig, _prepare(path), dpi=120)


def draw_metric_by_family(
    summary: pd.DataFrame, *, title: str, ylabel: str = "Kendall tau", ncols: int = 3
) -> Figure:
    """Small multiples: one panel per predictor family, one line per predictor,
    ``summary["mean"]`` against ``train_size`` (log axis), shaded ± one std over
    seeds; each panel's legend sits below it, outside the data.

    Args:
        summary: rows of ``family``, ``predictor``, ``train_size``, ``mean``, ``std``
            (families are drawn in the order they first appear).
        title: the figure title.
        ylabel: label of the metric axis.
        ncols: panels per row.

    Returns:
        The figure, one axes per family (unused grid cells removed).
    """
    import seaborn as sns

    families = list(dict.fromkeys(summary["family"]))
    ncols = max(1, min(ncols, len(families)))
    nrows = -(-len(families) // ncols)
    most = int(summary.groupby("family")["predictor"].nunique().max())
    fig = Figure(figsize=(4.3 * ncols, (3.2 + 0.17 * most) * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=True).ravel()
    for ax in axes[len(families) :]:
        fig.delaxes(ax)
    for ax, family in zip(axes, families, strict=False):
        part = summary[summary["family"] == family]
        names = sorted(part["predictor"].unique())
        palette = sns.color_palette("tab10" if len(names) <= 10 else "tab20", len(names))
        for colour, name in zip(palette, names, strict=True):
            line = part[part["predictor"] == name].sort_values("train_size")
            std = line["std"].fillna(0.0)
            ax.plot(line["train_size"], line["mean"], marker="o", ms=3, label=name, color=colour)
            ax.fill_between(
                line["train_size"], line["mean"] - std, line["mean"] + std, alpha=0.15, color=colour
            )
        ax.set_xscale("log")
        ax.set_title(family, fontsize=10)
        ax.set_xlabel("training-set size (archs)")
        ax.set_ylabel(ylabel)
        ax.tick_params(labelbottom=True, labelleft=True)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), frameon=False)
    fig.suptitle(title)
    return fig


def metric_vs_size(
    summary: pd.DataFrame, path: str | Path, *, title: str, ylabel: str = "Kendall tau"
) -> Path:
    """Write :func:`draw_metric_by_family` as a PNG.

    Args:
        summary: rows of ``family``, ``predictor``, ``train_size``, ``mean``, ``std``.
        path: the PNG to write.
        title: the figure title.
        ylabel: label of the metric axis.

    Returns:
        ``path``.
    """
    fig = draw_metric_by_family(summary, title=title, ylabel=ylabel)
    return _save(fig, _prepare(path), dpi=120)


def draw_search_curves(
    curves: pd.DataFrame,
    *,
    title: str,
    ylabel: str = "best validation accuracy found (%)",
    optimum: float | None = None,
    skip_first: int = 0,
) -> Figure:
    """Best-so-far (mean ± standard error band) against queries, one line per method;
    the legend sits right of the axes, outside the data.

    Args:
        curves: rows of ``method``, ``query``, ``mean``, ``sem``
            (:func:`naspred.reports.nas_loop.search_curves`).
        title: the figure title.
        ylabel: label of the accuracy axis.
        optimum: the best accuracy in the benchmark, drawn as a dotted line.
        skip_first: hide the first queries, where random draws swamp the scale.

    Returns:
        The figure, with one axes.
    """
    fig = Figure(figsize=(9.5, 4.5), layout="constrained")
    ax = fig.subplots()
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
    # beside the axes: inside, it covers the early queries or the plateau of some method
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return fig


def plot_search_curves(
    curves: pd.DataFrame,
    path: str | Path,
    *,
    title: str,
    ylabel: str = "best validation accuracy found (%)",
    optimum: float | None = None,
    skip_first: int = 0,
) -> Path:
    """Write :func:`draw_search_curves` as a PNG.

    Args:
        curves: rows of ``method``, ``query``, ``mean``, ``sem``
            (:func:`naspred.reports.nas_loop.search_curves`).
        path: the PNG to write.
        title: the figure title.
        ylabel: label of the accuracy axis.
        optimum: the best accuracy in the benchmark, drawn as a dotted line.
        skip_first: hide the first queries, where random draws swamp the scale.

    Returns:
        ``path``.
    """
    path = _prepare(path)
    fig = draw_search_curves(
        curves, title=title, ylabel=ylabel, optimum=optimum, skip_first=skip_first
    )
    return _save(fig, path, dpi=120)


def tradeoff_figure(
    grid: pd.DataFrame,
    path: str | Path,
    *,
    title: str,
    arch_seconds: float | None = None,
    epoch_seconds: float | None = None,
) -> Path:
    """Each (init budget, query budget) cell coloured by its best predictor, with its
    Kendall tau written in it (White et al., NeurIPS 2021, Fig. 1).

    Args:
        grid: rows of ``init_budget_s``, ``query_budget_s``, ``best``, ``kendall``
            (:func:`naspred.reports.tradeoff.best_per_budget`).
        path: the PNG to write.
        title: the figure title.
        arch_seconds: mean full-training time of an arch; the init-axis labels then
            also say how many archs a budget buys.
        epoch_seconds: mean time of one epoch, for the query-axis labels likewise.

    Returns:
        ``path``.
    """
    import seaborn as sns
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    path = _prepare(path)
    inits = sorted(grid["init_budget_s"].unique())
    queries = sorted(grid["query_budget_s"].unique())
    names = sorted(n for n in grid["best"].dropna().unique())
    palette = sns.color_palette(
        "tab10" if len(names) <= 10 else "tab20", n_colors=max(len(names), 1)
    )
    index = np.full((len(queries), len(inits)), np.nan)
    fig = Figure(figsize=(1.2 + 1.05 * len(inits), 1.4 + 0.62 * len(queries)))
    ax = fig.subplots()
    for _, row in grid.iterrows():
        i, j = queries.index(row["query_budget_s"]), inits.index(row["init_budget_s"])
        if row["best"] is not None and isinstance(row["best"], str):
            index[i, j] = names.index(row["best"])
            ax.text(j, i, f"{row['kendall']:.2f}", ha="center", va="center", fontsize=7)
        else:
            ax.text(j, i, "–", ha="center", va="center", fontsize=7, color="0.5")
    cmap = ListedColormap(palette)
    cmap.set_bad("0.92")
    ax.imshow(
        np.ma.masked_invalid(index),
        cmap=cmap,
        vmin=-0.5,
        vmax=max(len(names), 1) - 0.5,
        origin="lower",
        aspect="auto",
    )

    def label(value: float, unit_s: float | None, unit: str) -> str:
        text = format_seconds(value)
        if unit_s and value >= 0.1 * unit_s:
            text += f"\n≈{value / unit_s:.3g} {unit}"
        return text

    ax.set_xticks(range(len(inits)), [label(v, arch_seconds, "archs") for v in inits], fontsize=6)
    ax.set_yticks(
        range(len(queries)), [label(v, epoch_seconds, "epochs") for v in queries], fontsize=6
    )
    ax.set_xlabel("initialisation budget (training set trained to completion + fit)")
    ax.set_ylabel("query budget per arch (partial training + proxies + query)")
    ax.set_title(title, fontsize=9)
    handles = [Patch(color=palette[k], label=name) for k, name in enumerate(names)]
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return _save(fig, path, dpi=130)


def spearman_ci_figure(table: pd.DataFrame, path: str | Path) -> Path:
    """One panel per task: each proxy's Spearman with its bootstrap CI, the new
    proxy in red (``naspred compare``).

    Args:
        table: rows of ``task``, ``proxy``, ``kind`` (``"new"`` marks the new
            proxy), ``spearman``, ``spearman_lo``, ``spearman_hi``.
        path: the PNG to write.

    Returns:
        ``path``.
    """
    path = _prepare(path)
    tasks = list(dict.fromkeys(table["task"]))
    n_rows = table.groupby("task").size().max()
    fig = Figure(figsize=(4.2 * len(tasks), 0.9 + 0.32 * n_rows))
    axes = fig.subplots(1, len(tasks), squeeze=False)
    for ax, task in zip(axes[0], tasks, strict=True):
        part = table[table["task"] == task].sort_values("spearman")
        y = np.arange(len(part))
        colours = ["tab:red" if k == "new" else "tab:blue" for k in part["kind"]]
        err = np.vstack(
            [part["spearman"] - part["spearman_lo"], part["spearman_hi"] - part["spearman"]]
        )
        for k, colour in enumerate(colours):
            ax.errorbar(
                part["spearman"].iloc[k],
                y[k],
                xerr=err[:, k : k + 1],
                fmt="o",
                ms=3,
                color=colour,
                capsize=2,
            )
        ax.set_yticks(y, part["proxy"])
        ax.axvline(0.0, color="grey", lw=0.5)
        ax.set_title(task, fontsize=9)
        ax.set_xlabel(f"Spearman with {TARGET} (95% bootstrap CI)")
    fig.tight_layout()
    return _save(fig, path, dpi=120)


def transfer_figure(summary: pd.DataFrame, path: str | Path) -> Path:
    """The transfer study's figure: Kendall tau against the number of target archs
    ``k``, one panel per (source, target) pair, one colour per predictor; ``finetune``
    solid with ``plain`` as its ``k = 0`` point, ``target-only`` dashed; all at each
    pair's largest source size, shaded ± one std over seeds; the legend right of the
    panels, outside the data.

    Args:
        summary: :func:`naspred.reports.transfer.summarise_transfer` rows (``pair``,
            ``predictor``, ``mode``, ``train_size``, ``k``, ``kendall_mean``,
            ``kendall_std``).
        path: the PNG to write.

    Returns:
        ``path``.
    """
    import seaborn as sns

    pairs = list(dict.fromkeys(summary["pair"]))
    names = sorted(summary["predictor"].unique())
    palette = dict(zip(names, sns.color_palette("tab10", len(names)), strict=True))
    fig = Figure(figsize=(0.6 + 4.2 * len(pairs), 3.9), layout="constrained")
    axes = fig.subplots(1, len(pairs), squeeze=False, sharey=True).ravel()
    for ax, pair in zip(axes, pairs, strict=True):
        part = summary[summary["pair"] == pair]
        sourced = part[part["mode"] != "target-only"]
        n = int(sourced["train_size"].max()) if len(sourced) else 0
        for name in names:
            mine = part[part["predictor"] == name]
            tuned = mine[(mine["mode"].isin(["plain", "finetune"])) & (mine["train_size"] == n)]
            only = mine[mine["mode"] == "target-only"]
            for line, style, mode in ((tuned, "-", "finetune"), (only, "--", "target-only")):
                line = line.sort_values("k")
                if line.empty:
                    continue
                std = line["kendall_std"].fillna(0.0)
                mean, colour = line["kendall_mean"], palette[name]
                ax.plot(line["k"], mean, style, marker="o", ms=3, color=colour,
                        label=f"{name}, {mode}")  # fmt: skip
                ax.fill_between(line["k"], mean - std, mean + std, alpha=0.12, color=colour)
        ax.set_title(pair.replace(" -> ", "\n-> ") + f"\n(n = {n} source archs)", fontsize=9)
        ax.set_xlabel("target archs k")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("Kendall tau on the target")
    handles, labels = axes[0].get_legend_handles_labels()
    for ax in axes[1:]:
        more_h, more_l = ax.get_legend_handles_labels()
        for h, label in zip(more_h, more_l, strict=True):
            if label not in labels:
                handles.append(h)
                labels.append(label)
    fig.legend(handles, labels, fontsize=7, loc="outside right upper", frameon=False)
    return _save(fig, _prepare(path), dpi=120)


def rank_vs_size(summary: pd.DataFrame, path: str | Path, *, title: str) -> Path:
    """Mean rank across tasks against training-set size: one line per predictor
    (log x axis, rank 1 at the top), shaded ± one std of the rank over tasks; the legend
    right of the axes, outside the data.

    Args:
        summary: :func:`naspred.reports.multitask.cross_task_ranks` rows (``predictor``,
            ``train_size``, ``mean_rank``, ``std_rank``).
        path: the PNG to write.
        title: the figure title.

    Returns:
        ``path``.
    """
    import seaborn as sns

    names = list(dict.fromkeys(summary["predictor"]))
    palette = sns.color_palette("tab10" if len(names) <= 10 else "tab20", len(names))
    fig = Figure(figsize=(7.5, 4.2), layout="constrained")
    ax = fig.subplots()
    for colour, name in zip(palette, names, strict=True):
        line = summary[summary["predictor"] == name].sort_values("train_size")
        mean, std = line["mean_rank"], line["std_rank"].fillna(0.0)
        ax.plot(line["train_size"], mean, marker="o", ms=3, label=name, color=colour)
        ax.fill_between(line["train_size"], mean - std, mean + std, alpha=0.12, color=colour)
    ax.set_xscale("log")
    ax.invert_yaxis()  # rank 1 is the best: at the top, as a higher Kendall tau would be
    ax.set_xlabel("training-set size (archs)")
    ax.set_ylabel("mean rank across tasks (1 = best)")
    ax.grid(alpha=0.3)
    ax.set_title(title, fontsize=10)
    fig.legend(fontsize=7, loc="outside right upper", frameon=False)
    return _save(fig, _prepare(path), dpi=120)
