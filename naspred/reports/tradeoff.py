"""The tables and figures of the trade-off study, and the summaries they rest on.

In the output directory: ``units.csv`` (every evaluated unit), ``configs.csv``
(mean over seeds per configuration, with costs), ``tradeoff.csv`` (the best
predictor per budget cell), ``tradeoff.md`` and ``tradeoff_<space>__<dataset>.png``;
:func:`curve_benchmark_summary` describes a learning-curve benchmark in markdown.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from naspred.benchmarks.task import Task
from naspred.errors import InvalidInputError
from naspred.reports.figures import tradeoff_figure
from naspred.reports.output import output_dir, relocate
from naspred.reports.tables import (
    format_seconds,
    format_table,
    not_run_section,
    thin_test_warning,
    write_csv,
    write_text,
)

#: The files this writer produces (patterns relative to the output directory).
OUTPUTS = ("units.csv", "configs.csv", "tradeoff.csv", "tradeoff.md", "tradeoff_*.png")


def _arch_seconds(task: Task) -> np.ndarray:
    """Recorded seconds to train each arch of ``task`` to the end (validation excluded),
    as the study charges them (``naspred.experiments.tradeoff``)."""
    return np.nansum(np.asarray(task.curves["epoch_time"], dtype=float), axis=1)


def summarise_configs(results: pd.DataFrame) -> pd.DataFrame:
    """One row per (predictor, training size, epochs) evaluated on every seed: mean
    and std of Kendall tau, mean costs.

    Args:
        results: the study's rows.

    Returns:
        The configurations that finished on every seed with a defined Kendall tau.
    """
    ok = results[results["status"] == "ok"]
    n_seeds = results["seed"].nunique()
    grouped = ok.groupby(["predictor", "train_size", "epochs"])
    out = grouped.agg(
        init_data_s=("init_data_s", "mean"),
        query_data_s=("query_data_s", "mean"),
        kendall=("kendall", "mean"),
        kendall_std=("kendall", "std"),
        spearman=("spearman", "mean"),
        seeds=("seed", "nunique"),
        init_s=("init_s", "mean"),
        query_arch_s=("query_arch_s", "mean"),
        fit_s=("fit_s", "mean"),
        query_s=("query_s", "mean"),
    ).reset_index()
    # a configuration that failed on some seed is not comparable with the others
    return out[(out["seeds"] == n_seeds) & out["kendall"].notna()].reset_index(drop=True)


def kendall_by_epochs(configs: pd.DataFrame) -> pd.DataFrame:
    """Mean Kendall tau per predictor (rows) and epochs of partial training (columns),
    each predictor at its best training-set size for that many epochs; 0 epochs:
    no partial training. The learning-curve predictors side by side at equal query
    cost (e.g. SoTL-E against early stopping, Ru et al., NeurIPS 2021).

    Args:
        configs: :func:`summarise_configs`.

    Returns:
        Predictors x ``e=<epochs>`` columns.
    """
    best = configs.sort_values("kendall", ascending=False).groupby(["predictor", "epochs"]).head(1)
    table = best.pivot(index="predictor", columns="epochs", values="kendall")
    table.columns = [f"e={int(c)}" for c in table.columns]
    return table.sort_index()


def default_budgets(costs: pd.Series, data_costs: pd.Series, merge: float = 1.5) -> list[float]:
    """A budget axis: first the dearest cost among configurations that need no data
    on this axis (e.g. a learning-curve predictor's fit time, a model-based
    predictor's query time: nearly 0), then one budget per level of the costs of
    those that do.

    A level gathers the paid costs within a factor ``merge`` of its cheapest (the
    same training-set size or number of epochs costs a little more for a predictor
    with a slower fit or an extra proxy), and its budget is the level's dearest
    cost, so every swept training size and epoch count gets its own row or column
    and every configuration of that level fits in it.

    Args:
        costs: each configuration's cost on this axis (seconds).
        data_costs: the part of it paid for data (training, partial training,
            proxies); 0 for configurations that need none.
        merge: the factor within which paid costs form one level (>= 1).

    Returns:
        The budgets, ascending.

    Raises:
        InvalidInputError: ``merge`` below 1.
    """
    if merge < 1:
        raise InvalidInputError(f"merge must be >= 1, got {merge}")
    free = costs[data_costs <= 0]
    first = float(free.max()) if len(free) else 0.0
    paid = np.sort(np.asarray(costs[data_costs > 0], dtype=float))
    levels: list[float] = []
    start = None
    for cost in paid:
        if start is None or cost > start * merge:
            start = cost
            levels.append(cost)
        else:
            levels[-1] = cost
    return [first, *levels]


def best_per_budget(
    configs: pd.DataFrame, init_budgets: Sequence[float], query_budgets: Sequence[float]
) -> pd.DataFrame:
    """For each (init, query) budget pair, the configuration with the highest mean
    Kendall tau among those whose recorded costs ``init_data_s`` and ``query_data_s``
    fit (a relative tolerance of 1e-9 lets a budget equal to a cost include it). The
    runner-up predictor family (another predictor) is listed too.

    The grid is decided by recorded costs alone (the benchmark's epoch times and
    stored proxy times): the measured fit and query times (``init_s`` and
    ``query_arch_s`` include them) move with the machine's load, and a table whose
    cells moved with them would not be reproducible. They are listed beside, never
    used to choose.

    Args:
        configs: :func:`summarise_configs`.
        init_budgets: the initialisation budgets (seconds).
        query_budgets: the query budgets per arch (seconds).

    Returns:
        One row per budget pair: the best configuration, its Kendall tau and
        costs, and the runner-up (``best`` is None where nothing fits).
    """
    rows = []
    for qb in query_budgets:
        for ib in init_budgets:
            fits = configs[
                (configs["init_data_s"] <= ib * (1 + 1e-9))
                & (configs["query_data_s"] <= qb * (1 + 1e-9))
            ].sort_values(["kendall", "predictor"], ascending=[False, True], kind="stable")
            row: dict[str, Any] = {
                "init_budget_s": ib,
                "query_budget_s": qb,
                "candidates": len(fits),
            }
            if len(fits):
                best = fits.iloc[0]
                others = fits[fits["predictor"] != best["predictor"]]
                row.update(
                    best=best["predictor"],
                    kendall=float(best["kendall"]),
                    kendall_std=float(best["kendall_std"])
                    if pd.notna(best["kendall_std"])
                    else 0.0,
                    train_size=int(best["train_size"]),
                    epochs=int(best["epochs"]),
                    init_data_s=float(best["init_data_s"]),
                    query_data_s=float(best["query_data_s"]),
                    init_s=float(best["init_s"]),
                    query_arch_s=float(best["query_arch_s"]),
                    runner_up=others.iloc[0]["predictor"] if len(others) else None,
                    runner_up_kendall=float(others.iloc[0]["kendall"]) if len(others) else math.nan,
                )
            else:
                row.update(best=None, kendall=math.nan)
            rows.append(row)
    return pd.DataFrame(rows)


def write_tradeoff_tables(
    task: Task,
    results: pd.DataFrame,
    out_dir: str | Path,
    *,
    init_budgets: Sequence[float] | None = None,
    query_budgets: Sequence[float] | None = None,
) -> list[Path]:
    """Write ``units.csv`` (every evaluated unit), ``configs.csv`` (mean over seeds per
    configuration, with costs), ``tradeoff.csv`` (the best predictor per budget
    cell), ``tradeoff.md`` and ``tradeoff_<task>.png`` to ``out_dir``, whole
    (:func:`naspred.reports.output.output_dir`: a store, a README or the
    sub-directories of other tasks kept there survive).

    Args:
        task: the task studied (its epoch times label the budgets).
        results: the study's rows (:func:`naspred.experiments.tradeoff.run_tradeoff_study`).
        out_dir: the output directory.
        init_budgets: the initialisation budgets (seconds); default: the levels of
            the evaluated configurations' recorded costs (:func:`default_budgets` of
            ``init_data_s``), 0 and then a column per training-set size.
        query_budgets: the query budgets per arch (seconds); default likewise from
            ``query_data_s``, a row per epoch count (and one for the zero-cost
            proxies where the task stores their compute times).

    Returns:
        The files written, as installed in ``out_dir``.

    Raises:
        InvalidInputError: no configuration finished on every seed; ``out_dir`` is
            then left as it was.
    """
    configs = summarise_configs(results)
    if configs.empty:
        raise InvalidInputError("no configuration finished on every seed; nothing to tabulate")
    # budgets from recorded costs only, like the choice in each cell (best_per_budget)
    if not init_budgets:
        init_budgets = default_budgets(configs["init_data_s"], configs["init_data_s"])
    if not query_budgets:
        query_budgets = default_budgets(configs["query_data_s"], configs["query_data_s"])
    grid = best_per_budget(configs, init_budgets, query_budgets)
    figure = f"tradeoff_{task.name.replace('/', '__')}.png"
    arch_s = float(np.nanmean(_arch_seconds(task)))
    epoch_s = float(np.nanmean(np.asarray(task.curves["epoch_time"], float)))

    def cell(r: pd.Series) -> str:
        if not isinstance(r["best"], str):
            return "-"
        parts = [
            f"n={int(r['train_size'])}" if r["train_size"] else "",
            f"e={int(r['epochs'])}" if r["epochs"] else "",
        ]
        where = ",".join(p for p in parts if p)
        return f"{r['best']} {r['kendall']:.3f}" + (f" ({where})" if where else "")

    table = grid.assign(cell=grid.apply(cell, axis=1)).pivot(
        index="query_budget_s", columns="init_budget_s", values="cell"
    )
    table = table.sort_index(ascending=False)
    table.index = [format_seconds(v) for v in table.index]
    table.columns = [format_seconds(v) for v in table.columns]
    table.index.name = "query \\ init"
    best_cfg = (
        configs.sort_values("kendall", ascending=False).groupby("predictor", sort=False).head(1)
    )
    n_seeds = results["seed"].nunique()
    # the column holds True/False/NaN (units that read no proxy): only True counts
    unknown = bool(results.get("proxy_time_unknown", pd.Series(dtype=object)).eq(True).any())
    lines = [
        f"# Initialisation vs query budget: {task.name}",
        "",
        f"Best predictor (mean Kendall tau over {n_seeds} seeds on a fixed held-out test set "
        f"of {int(results['test_size'].iloc[0])} archs per seed) among those whose costs fit "
        "both budgets (White et al., NeurIPS 2021, Fig. 1). Init budget: seconds to train the "
        "training set to completion (recorded epoch times) and its proxies. Query budget: "
        "seconds per queried arch of partial training (recorded epoch times) and proxies "
        "(stored compute times). The grid is decided by these recorded costs alone; the "
        "measured fit and query times, which vary with the machine's load, are listed "
        "below and in configs.csv (init_s, query_arch_s include them) but choose nothing. "
        "n = training archs, e = epochs of partial training. One arch trains "
        f"in {format_seconds(arch_s)} on average, one epoch in {format_seconds(epoch_s)}.",
        "",
        *thin_test_warning(int(results["test_size"].iloc[0])),
        format_table(table),
        "",
        f"![best predictor per budget]({figure})",
        "",
        f"Best predictor per budget cell, its Kendall tau written in (n = "
        f"{int(results['test_size'].iloc[0]):,} test archs, mean over {n_seeds} seeds).",
        "",
        "## Best configuration of each predictor",
        "",
        format_table(
            best_cfg[
                [
                    "predictor",
                    "train_size",
                    "epochs",
                    "kendall",
                    "kendall_std",
                    "init_s",
                    "query_arch_s",
                ]
            ],
            ".3g",
            index=False,
        ),
        "",
    ]
    lines += [
        "## Kendall tau by epochs of partial training",
        "",
        "Each predictor at its best training-set size for that many epochs (e=0: none).",
        "",
        format_table(kendall_by_epochs(configs), ".3f"),
        "",
    ]
    if unknown:
        lines += [
            "Note: the task stores no compute time for some proxy scores read; those are "
            "charged 0 s.",
            "",
        ]
    lines += not_run_section(
        results, ["seed", "predictor", "train_size", "epochs"], "Units not run"
    )
    with output_dir(out_dir, owns=OUTPUTS) as out:
        files = [
            write_csv(results.drop(columns=["traceback"], errors="ignore"), out / "units.csv"),
            write_csv(configs, out / "configs.csv"),
            write_csv(grid, out / "tradeoff.csv"),
            tradeoff_figure(
                grid,
                out / figure,
                title=f"Best predictor per budget (Kendall tau), {task.name}",
                arch_seconds=arch_s,
                epoch_seconds=epoch_s,
            ),
            write_text("\n".join(lines), out / "tradeoff.md"),
        ]
    return relocate(files, out, out_dir)


def curve_benchmark_summary(task: Task, reference: Task | None = None) -> list[str]:
    """Markdown lines describing a learning-curve benchmark: its size, the spread of
    its final accuracies (whether they spread enough to rank), its training times,
    and, given a ``reference`` task of the same space (the published benchmark),
    the rank agreement of the two accuracies on their common archs.

    Args:
        task: a task with per-epoch curves and epoch times.
        reference: a task of the same archs to compare the final accuracies with.

    Returns:
        The markdown lines.
    """
    from naspred.metrics import kendall, spearman

    acc = np.asarray(task.val_accuracy, float)
    q = np.nanpercentile(acc, [0, 10, 25, 50, 75, 90, 100])
    arch_s = _arch_seconds(task)
    lines = [
        f"`{task.name}`: {len(task)} archs, {task.n_epochs} epochs of curves "
        f"(file `{Path(task.source).name}`).",
        "",
        "| final val accuracy (%) | min | 10% | 25% | median | 75% | 90% | max | std |",
        "|---|---|---|---|---|---|---|---|---|",
        "| | " + " | ".join(f"{v:.1f}" for v in q) + f" | {np.nanstd(acc):.2f} |",
        "",
        f"Training time per arch: mean {np.nanmean(arch_s):.1f} s, median "
        f"{np.nanmedian(arch_s):.1f} s (recorded epoch times, validation excluded).",
        "",
    ]
    if "val_accuracy" in task.curves:
        curve = np.asarray(task.curves["val_accuracy"], float)
        marks = [e for e in (1, 2, 4, 8, 16, 32, 64) if e < task.n_epochs]
        rhos = [spearman(curve[:, e - 1], acc) for e in marks]
        lines += [
            "Spearman of the validation accuracy after e epochs with the final one: "
            + ", ".join(f"e={e}: {r:.3f}" for e, r in zip(marks, rhos, strict=True))
            + ".",
            "",
        ]
    if reference is not None:
        common = [k for k in task.keys if k in set(reference.keys)]
        if common:
            ours = acc[task.index(common)]
            ref = np.asarray(reference.val_accuracy, float)[reference.index(common)]
            lines += [
                f"Against `{reference.name}` val_accuracy on the {len(common)} common archs: "
                f"Spearman {spearman(ours, ref):.3f}, Kendall {kendall(ours, ref):.3f}.",
                "",
            ]
    return lines
