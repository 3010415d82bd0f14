"""Figures, drawn headless with matplotlib/seaborn and written as PNG."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: studies run on servers and in CI

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402


def correlation_heatmap(
    matrix: pd.DataFrame,
    path: str | Path,
    *,
    title: str,
    counts: pd.DataFrame | None = None,
    vmin: float = -1.0,
    vmax: float = 1.0,
    cbar_label: str = "Spearman",
) -> Path:
    """Annotated heatmap of a (possibly non-square) correlation table.

    Cells with no value stay blank; with ``counts``, each cell also shows how
    many archs (or tasks) it rests on.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows, cols = matrix.shape
    fig, ax = plt.subplots(figsize=(1.2 + 0.75 * cols, 1.0 + 0.5 * rows))
    annot = matrix.map(lambda v: "" if pd.isna(v) else f"{v:.2f}")
    if counts is not None:
        annot = annot.where(
            counts.isna() | (annot == ""), annot + "\n(" + counts.astype("Int64").astype(str) + ")"
        )
    sns.heatmap(
        matrix.astype(float),
        ax=ax,
        annot=annot.to_numpy(),
        fmt="",
        cmap="RdBu_r",
        vmin=vmin,
        vmax=vmax,
        center=0.0,
        linewidths=0.5,
        annot_kws={"fontsize": 7 if counts is None else 6},
        cbar_kws={"label": cbar_label},
    )
    ax.set_title(title)
    ax.set_xticklabels(ax.get_xticklabels(), rotation=45, ha="right")
    ax.set_yticklabels(ax.get_yticklabels(), rotation=0)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


def metric_vs_size(
    summary: pd.DataFrame, path: str | Path, *, title: str, ylabel: str = "Kendall tau"
) -> Path:
    """One line per predictor: mean ``summary["mean"]`` against ``train_size`` (log
    axis), shaded ± one std over seeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    palette = sns.color_palette("tab20", n_colors=max(1, summary["predictor"].nunique()))
    for colour, (name, part) in zip(palette, summary.groupby("predictor"), strict=False):
        part = part.sort_values("train_size")
        std = part["std"].fillna(0.0)
        ax.plot(part["train_size"], part["mean"], marker="o", ms=3, label=name, color=colour)
        ax.fill_between(
            part["train_size"], part["mean"] - std, part["mean"] + std, alpha=0.15, color=colour
        )
    ax.set_xscale("log")
    ax.set_xlabel("training-set size (archs)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2, loc="lower right")
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path
