"""The tables and figures of the predictor study, written as one set.

In the output directory: ``predictors.csv`` (every cell), ``summary.csv`` (mean and
std over seeds per task, predictor and training size), ``predictors.md`` and one
``kendall_vs_train_size_<space>__<dataset>.png`` per task.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from naspred.errors import InvalidInputError, UnknownNameError
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


def predictor_family(label: str) -> str:
    """The family a predictor belongs to, from the class its registry name builds: the
    panel the predictor figure draws it in.

    Args:
        label: a predictor's table label (``xgb``, ``xgb(encoding=graph_features)``,
            ``zc:zen``, ``zc_xgb(zen,params,flops)``): its leading name is looked up.

    Returns:
        ``"zero-cost proxies"``, ``"learning curves"``, ``"graph networks"``,
        ``"feed-forward networks"``, ``"tree ensembles"`` (ZC + XGBoost included: it
        is XGBoost on more features), ``"Gaussian processes"`` or ``"other"``.

    Raises:
        UnknownNameError: the label names no registered predictor.
    """
    # imported here: the predictor families pull in torch, a table writer need not
    from naspred.predictors._curves import CurveFeatureMixin, CurvePredictor
    from naspred.predictors._graph import GraphPredictor
    from naspred.predictors._nn import FeedForwardPredictor
    from naspred.predictors._trees import TreeEnsemblePredictor
    from naspred.predictors.base import ZeroCostPredictor
    from naspred.predictors.gp import GaussianProcessPredictor
    from naspred.predictors.ngb import NGBoostPredictor
    from naspred.predictors.registry import predictor_class
    from naspred.predictors.sparse_gp import SparseGaussianProcessPredictor
    from naspred.predictors.wl_gp import WLGaussianProcessPredictor

    match = re.match(r"[A-Za-z_][A-Za-z0-9_]*", label)
    if match is None:
        raise UnknownNameError(f"predictor label {label!r} does not start with a predictor name")
    cls = predictor_class(match.group())
    # first match wins: OMNI is an NGBoost on curve features, a learning-curve predictor
    families = (
        ("zero-cost proxies", (ZeroCostPredictor,)),
        ("learning curves", (CurvePredictor, CurveFeatureMixin)),
        ("graph networks", (GraphPredictor,)),
        ("feed-forward networks", (FeedForwardPredictor,)),
        ("tree ensembles", (TreeEnsemblePredictor, NGBoostPredictor)),
        (
            "Gaussian processes",
            (GaussianProcessPredictor, SparseGaussianProcessPredictor, WLGaussianProcessPredictor),
        ),
    )
    for family, bases in families:
        if issubclass(cls, bases):
            return family
    return "other"


#: The order of the predictor figure's panels.
FAMILY_ORDER = (
    "tree ensembles",
    "Gaussian processes",
    "feed-forward networks",
    "graph networks",
    "learning curves",
    "zero-cost proxies",
    "other",
)


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


def check_finished(results: pd.DataFrame) -> None:
    """Raise :class:`InvalidInputError` unless some cell of a study's rows finished.

    Args:
        results: the study's rows.
    """
    if "status" not in results or not (results["status"] == "ok").any():
        raise InvalidInputError("no finished cells to tabulate")


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
    check_finished(results)
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
            families = part.assign(family=part["predictor"].map(predictor_family))
            families = families.sort_values(
                "family", key=lambda f: f.map(FAMILY_ORDER.index), kind="stable"
            )
            files.append(
                metric_vs_size(families, path, title=f"Kendall tau vs training-set size, {task}")
            )
            seeds = part["seeds"].astype(int)
            seed_text = (
                f"{seeds.min()}" if seeds.min() == seeds.max() else f"{seeds.min()}-{seeds.max()}"
            )
            tested_n = (
                f"{int(tested.min()):,}"
                if tested.nunique() <= 1
                else (f"{int(tested.min()):,}-{int(tested.max()):,}")
            )
            lines += [
                f"![Kendall tau vs training-set size, by predictor family]({path.name})",
                "",
                f"Kendall tau vs training-set size, one panel per predictor family (n = "
                f"{tested_n} test archs per point, mean ± std band over {seed_text} seeds).",
                "",
            ]
        lines += not_run_section(
            results, ["task", "seed", "predictor", "train_size"], "Cells not run"
        )
        files.append(write_text("\n".join(lines), out / "predictors.md"))
    return relocate(files, out, out_dir)


def protocol_table(results: pd.DataFrame, sizes: Sequence[int], metric: str = "kendall") -> str:
    """Markdown table setting one predictor study's tasks side by side: per predictor,
    ``metric`` (mean ± std over seeds) on each task at each of ``sizes``, e.g. the
    all-cells task beside its GRAF valid-cell restriction (``nasbench201/cifar10``,
    ``nasbench201/cifar10-valid``).

    Args:
        results: rows of one or more predictor studies (:func:`summarise` takes them).
        sizes: the training-set sizes to show; a size no task ran is left out.
        metric: the column to average over seeds.

    Returns:
        The table, predictors as rows (only those every task ran), one column per
        (size, task); cells a task did not run read ``-``.

    Raises:
        InvalidInputError: no cell finished, or none at ``sizes``.
    """
    check_finished(results)
    summary = summarise(results, metric)
    summary = summary[summary["train_size"].isin(list(sizes))]
    if summary.empty:
        raise InvalidInputError(f"no finished cells at training sizes {list(sizes)}")
    tasks = list(dict.fromkeys(summary["task"]))
    common = set.intersection(*(set(summary.loc[summary["task"] == t, "predictor"]) for t in tasks))
    summary = summary[summary["predictor"].isin(common)]
    cells = summary.assign(cell=summary.apply(_mean_std, axis=1))
    table = cells.pivot(index="predictor", columns=["train_size", "task"], values="cell")
    order = [(s, t) for s in sorted(set(summary["train_size"])) for t in tasks]
    table = table.reindex(columns=[c for c in order if c in table.columns]).fillna("-")
    table.columns = [f"{task} @ {size}" for size, task in table.columns]
    return format_table(table)
