"""The tables and figure of the transfer study, written as one set.

In the output directory: ``transfer.csv`` (every cell), ``summary.csv`` (mean and
std over seeds of Kendall and Spearman per pair, predictor, mode, source size ``n``
and target archs ``k``), ``transfer.md`` (one Kendall table per pair) and
``kendall_vs_target_archs.png`` (Kendall against ``k`` per mode, one panel per pair).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from naspred.errors import InvalidInputError
from naspred.reports.figures import transfer_figure
from naspred.reports.output import output_dir, relocate
from naspred.reports.tables import format_table, not_run_section, write_csv, write_text

#: The files this writer produces (patterns relative to the output directory).
OUTPUTS = ("transfer.csv", "summary.csv", "transfer.md", "kendall_vs_target_archs.png")
GROUP = ["pair", "predictor", "mode", "train_size", "k"]
#: Column order of the modes in the tables.
MODE_ORDER = ("plain", "finetune", "target-only")


def summarise_transfer(results: pd.DataFrame) -> pd.DataFrame:
    """Mean and std over seeds of Kendall and Spearman per (pair, predictor, mode,
    train size, k).

    Args:
        results: the study's rows (:func:`naspred.experiments.transfer.run_transfer_study`).

    Returns:
        One row per group with ``kendall_mean``, ``kendall_std``, ``spearman_mean``,
        ``spearman_std``, ``seeds``, ``test_size`` (the smallest) and mean ``fit_s``.
    """
    ok = results[results["status"] == "ok"]
    return (
        ok.groupby(GROUP, sort=False)
        .agg(
            kendall_mean=("kendall", "mean"),
            kendall_std=("kendall", "std"),
            spearman_mean=("spearman", "mean"),
            spearman_std=("spearman", "std"),
            seeds=("seed", "nunique"),
            test_size=("test_size", "min"),
            fit_s=("fit_s", "mean"),
        )
        .reset_index()
    )


def _mean_std(mean: float, std: float) -> str:
    if pd.isna(mean):
        return "undefined"
    return f"{mean:.3f}" if pd.isna(std) else f"{mean:.3f} ± {std:.3f}"


def _column(mode: str, k: int) -> str:
    return mode if mode == "plain" else f"{mode} k={k}"


def pair_table(summary: pd.DataFrame) -> pd.DataFrame:
    """One pair's Kendall as ``mean ± std``: a row per (predictor, source size ``n``),
    a column per mode and ``k``; ``target-only`` ignores ``n`` and shows its one value
    in every row of its predictor.

    Args:
        summary: :func:`summarise_transfer` rows of one pair.
    """
    part = summary.assign(
        cell=[
            _mean_std(m, s)
            for m, s in zip(summary["kendall_mean"], summary["kendall_std"], strict=True)
        ],
        column=[_column(m, k) for m, k in zip(summary["mode"], summary["k"], strict=True)],
    )
    sizes = sorted(part.loc[part["mode"] != "target-only", "train_size"].unique())
    base = part[part["mode"] != "target-only"]
    only = part[part["mode"] == "target-only"]
    # the baseline is the same whatever n: repeat it beside each n for reading across
    spread = [only.assign(train_size=n) for n in sizes] if sizes else [only]
    both = pd.concat([base, *spread], ignore_index=True)
    table = both.pivot(index=["predictor", "train_size"], columns="column", values="cell")
    order = sorted(
        table.columns,
        key=lambda c: (MODE_ORDER.index(c.split(" ")[0]), int(c.split("=")[1]) if "=" in c else 0),
    )
    table = table[order]
    table.index = table.index.set_names(["predictor", "n"])
    return table


def write_transfer_tables(results: pd.DataFrame, out_dir: str | Path) -> list[Path]:
    """Write ``transfer.csv``, ``summary.csv``, ``transfer.md`` and the figure to
    ``out_dir``, whole (:func:`naspred.reports.output.output_dir`: a store kept there
    survives).

    Args:
        results: the study's rows.
        out_dir: the output directory.

    Returns:
        The files written, as installed in ``out_dir``.

    Raises:
        InvalidInputError: no cell finished; ``out_dir`` is then left as it was.
    """
    if "status" not in results or not (results["status"] == "ok").any():
        raise InvalidInputError("no finished transfer cells to tabulate")
    with output_dir(out_dir, owns=OUTPUTS) as out:
        files = [
            write_csv(results.drop(columns=["traceback"], errors="ignore"), out / "transfer.csv")
        ]
        summary = summarise_transfer(results)
        files.append(write_csv(summary, out / "summary.csv"))
        figure = transfer_figure(summary, out / "kendall_vs_target_archs.png")
        files.append(figure)
        lines = [
            "# Transfer: fit on a source task, rank a target task's archs",
            "",
            "Kendall tau against the target's ground truth on held-out shared archs, mean ± "
            "std over seeds (counts in summary.csv). n: source training archs; k: target "
            "archs. plain: source only; finetune: source (quantile-mapped onto the k "
            "target values) plus the k target archs; target-only: the k target archs "
            "alone (independent of n, repeated in each n row).",
            "",
        ]
        for pair, part in summary.groupby("pair", sort=False):
            tested = int(part["test_size"].min())
            seeds = int(part["seeds"].max())
            lines += [
                f"## {pair}",
                "",
                f"{tested:,} test archs, {seeds} seeds.",
                "",
                format_table(pair_table(part)),
                "",
            ]
        lines += [
            f"![Kendall tau against target archs k]({figure.name})",
            "",
            "Kendall tau against k per predictor at the largest n of each pair: finetune "
            "(solid; k = 0 is plain) and target-only (dashed); ± one std over seeds.",
            "",
        ]
        lines += not_run_section(
            results, ["pair", "seed", "predictor", "mode", "train_size", "k"], "Cells not run"
        )
        files.append(write_text("\n".join(lines), out / "transfer.md"))
    return relocate(files, out, out_dir)
