"""The tables and figures of the predictor study, written as one set.

In the output directory: ``predictors.csv`` (every cell), ``summary.csv`` (mean and
std over seeds per task, predictor and training size), ``predictors.md`` and one
``kendall_vs_train_size_<space>__<dataset>.png`` per task.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from naspred.errors import InvalidInputError
from naspred.reports.figures import metric_vs_size
from naspred.reports.output import output_dir, relocate
from naspred.reports.tables import (
    format_table,
    not_run_section,
    thin_test_warning,
    write_csv,
    write_text,
)

#: The files this writer produces (patterns relative to the output directory).
OUTPUTS = ("predictors.csv", "summary.csv", "predictors.md", "kendall_vs_train_size_*.png")


def summarise(results: pd.DataFrame, metric: str = "kendall") -> pd.DataFrame:
    """Mean and std over seeds of ``metric`` per (task, predictor, train size).

    Args:
        results: the study's rows (:func:`naspred.experiments.predictors.run_predictor_study`).
        metric: the column to average.

    Returns:
        One row per (task, predictor, train size) with ``mean``, ``std``, ``seeds``,
        and the mean ``fit_s`` and ``query_s``.
    """
    ok = results[results["status"] == "ok"]
    grouped = ok.groupby(["task", "predictor", "train_size"])
    return grouped.agg(
        mean=(metric, "mean"),
        std=(metric, "std"),
        seeds=("seed", "nunique"),
        fit_s=("fit_s", "mean"),
        query_s=("query_s", "mean"),
    ).reset_index()


def _mean_std(row: pd.Series) -> str:
    """``mean ± std`` over seeds; the mean alone where only one seed ran."""
    if pd.isna(row["mean"]):
        return "undefined"
    if pd.isna(row["std"]):
        return f"{row['mean']:.3f}"
    return f"{row['mean']:.3f} ± {row['std']:.3f}"


def write_predictor_tables(results: pd.DataFrame, out_dir: str | Path) -> list[Path]:
    """Write ``predictors.csv`` (every cell), ``summary.csv``, ``predictors.md`` and one
    "Kendall tau vs training-set size" figure per task to ``out_dir``, whole
    (:func:`naspred.reports.output.output_dir`: a results store kept there survives).

    Args:
        results: the study's rows.
        out_dir: the output directory.

    Returns:
        The files written, as installed in ``out_dir``.

    Raises:
        InvalidInputError: no cell finished; ``out_dir`` is then left as it was.
    """
    if "status" not in results or not (results["status"] == "ok").any():
        raise InvalidInputError("no finished cells to tabulate")
    with output_dir(out_dir, owns=OUTPUTS) as out:
        files = [
            write_csv(results.drop(columns=["traceback"], errors="ignore"), out / "predictors.csv")
        ]
        kendall = summarise(results, "kendall")
        spearman = summarise(results, "spearman")
        files.append(
            write_csv(
                kendall.merge(
                    spearman[["task", "predictor", "train_size", "mean", "std"]],
                    on=["task", "predictor", "train_size"],
                    suffixes=("_kendall", "_spearman"),
                ),
                out / "summary.csv",
            )
        )
        lines = [
            "# Predictor quality against training-set size",
            "",
            "Mean ± std over seeds (the seed counts are in summary.csv) on a fixed held-out "
            "test set per task and seed; 'undefined': constant predictions. "
            "fit = init time, query = time to predict the whole test set (seconds).",
            "",
        ]
        for task, part in kendall.groupby("task", sort=False):
            lines += [f"## {task}", ""]
            tested = results.loc[results["task"] == task, "test_size"]
            if len(tested):
                lines += thin_test_warning(int(tested.min()))
            for title, frame in (
                ("Kendall tau", part),
                ("Spearman", spearman[spearman["task"] == task]),
            ):
                cell = frame.apply(_mean_std, axis=1)
                table = frame.assign(cell=cell).pivot(
                    index="predictor", columns="train_size", values="cell"
                )
                lines += [f"### {title}", "", format_table(table), ""]
            for col, title in (("fit_s", "Fit (init) time, s"), ("query_s", "Query time, s")):
                table = part.pivot(index="predictor", columns="train_size", values=col)
                lines += [f"### {title}", "", format_table(table, ".3g"), ""]
            path = out / f"kendall_vs_train_size_{task.replace('/', '__')}.png"
            files.append(
                metric_vs_size(part, path, title=f"Kendall tau vs training-set size, {task}")
            )
            lines += [f"![Kendall tau vs training-set size]({path.name})", ""]
        lines += not_run_section(
            results, ["task", "seed", "predictor", "train_size"], "Cells not run"
        )
        files.append(write_text("\n".join(lines), out / "predictors.md"))
    return relocate(files, out, out_dir)
