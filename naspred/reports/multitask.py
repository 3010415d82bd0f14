"""The predictor study over many tasks: per-task tables and the cross-task rank summary.

Ranking predictors by their average rank over many datasets, rather than their average
score, is the comparison of Demšar, "Statistical Comparisons of Classifiers over
Multiple Data Sets" (JMLR 2006): a rank is comparable across tasks whose Kendall tau
ranges differ (0.85 on one task is mediocre, 0.45 on another is the best there is).
Here, for each task and training size, the predictors that ran there are ranked by
their Kendall tau averaged over seeds (1 = best, ties sharing the mean of their
ranks); then, per training size, each predictor's ranks are summarised across tasks:
mean, std, quartiles and the number of tasks. A predictor that cannot run on a task
(a zero-cost proxy the task does not store) has no rank there, and is counted by its
smaller number of tasks.

In the output directory: ``README.md`` (the protocol), ``summary.md``,
``summary.csv`` (per predictor and training size), ``summary.png`` (mean rank against
training-set size), ``ranks.csv`` (per task, predictor and size: mean tau and rank)
and ``tasks/`` (the predictor study's own tables and figures, a section per task:
:func:`naspred.reports.predictors.write_predictor_tables`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from naspred.benchmarks.task import TARGET
from naspred.reports.figures import rank_vs_size
from naspred.reports.output import output_dir, relocate
from naspred.reports.predictors import check_finished, write_predictor_tables
from naspred.reports.tables import format_table, write_csv, write_text

#: The files this writer produces (patterns relative to the output directory).
OUTPUTS = (
    "README.md",
    "summary.md",
    "summary.csv",
    "summary.png",
    "ranks.csv",
    "tasks/*",
)


def task_ranks(results: pd.DataFrame, metric: str = "kendall") -> pd.DataFrame:
    """Each predictor's mean ``metric`` over seeds and its rank on each task and size.

    Args:
        results: the predictor study's rows (``status``, ``task``, ``predictor``,
            ``train_size``, ``seed`` and ``metric``); only ``ok`` rows count.
        metric: the score to rank by, higher = better.

    Returns:
        One row per (train size, task, predictor) that ran: ``mean`` (over seeds),
        ``seeds``, ``rank`` among the predictors with a defined mean on that task and
        size (1 = best; ties share the mean of their ranks; a mean undefined for
        constant predictions gets no rank) and ``ranked`` (how many predictors were
        ranked there).
    """
    ok = results[results["status"] == "ok"]
    keys = ["train_size", "task", "predictor"]
    frame = (
        ok.groupby(keys)
        .agg(mean=(metric, "mean"), seeds=("seed", "nunique"))
        .reset_index()
        .sort_values(keys, kind="stable")
    )
    group = frame.groupby(["train_size", "task"])["mean"]
    frame["rank"] = group.rank(ascending=False, method="average")
    frame["ranked"] = group.transform("count")
    return frame.reset_index(drop=True)


def cross_task_ranks(ranks: pd.DataFrame) -> pd.DataFrame:
    """Per training size, each predictor's rank summarised across tasks.

    Args:
        ranks: :func:`task_ranks` rows.

    Returns:
        One row per (train size, predictor): ``mean_rank``, ``std_rank`` (over tasks,
        ddof 1; NaN on one task), ``q25_rank``, ``median_rank``, ``q75_rank``,
        ``tasks`` (how many tasks ranked it) and ``mean_score`` (its mean metric
        averaged over those tasks).
    """
    ranked = ranks.dropna(subset=["rank"])
    grouped = ranked.groupby(["train_size", "predictor"])
    return grouped.agg(
        mean_rank=("rank", "mean"),
        std_rank=("rank", "std"),
        q25_rank=("rank", lambda r: float(np.quantile(r, 0.25))),
        median_rank=("rank", "median"),
        q75_rank=("rank", lambda r: float(np.quantile(r, 0.75))),
        tasks=("task", "nunique"),
        mean_score=("mean", "mean"),
    ).reset_index()


def _target_of(task: str) -> str:
    """The ground truth a task name ranks by (``name@target``, else accuracy)."""
    return task.split("@", 1)[1] if "@" in task else TARGET


def _rank_cell(row: pd.Series) -> str:
    if pd.isna(row["std_rank"]):
        return f"{row['mean_rank']:.2f} (n={int(row['tasks'])})"
    return f"{row['mean_rank']:.2f} ± {row['std_rank']:.2f} (n={int(row['tasks'])})"


def _predictor_order(summary: pd.DataFrame) -> list[str]:
    """Predictors by their mean rank averaged over training sizes, best first."""
    return list(summary.groupby("predictor")["mean_rank"].mean().sort_values().index)


def _protocol_lines(
    results: pd.DataFrame, archs: dict[str, int] | None, command: str | None
) -> list[str]:
    tasks = list(dict.fromkeys(results["task"]))
    sizes = sorted(int(n) for n in results["train_size"].unique())
    ran = results[results["status"] == "ok"]  # a seed of failed cells only ran nothing
    seeds = sorted(int(s) for s in ran["seed"].unique())
    tests = sorted(int(n) for n in ran["test_size"].unique())
    predictors = list(dict.fromkeys(results["predictor"]))
    rows = pd.DataFrame(
        {
            "task": tasks,
            "archs": [archs.get(t) if archs else None for t in tasks],
            "ranked by": [_target_of(t) for t in tasks],
        }
    )
    if archs is None:
        rows = rows.drop(columns=["archs"])
    lines = ["## Protocol", ""]
    if command:
        lines += ["Regenerate (resumes from the store beside these tables):", "", "```",
                  command, "```", ""]  # fmt: skip
    lines += [
        f"- {len(tasks)} tasks (below); a target other than `{TARGET}` is named after "
        "`@` (costs negated, so higher is better everywhere).",
        f"- Training-set sizes: {', '.join(map(str, sizes))} archs (nested: the size-n "
        "set is the first n archs of one seeded pool); a size the task cannot fill "
        "is not run.",
        f"- Seeds: {', '.join(map(str, seeds))}; each seed fixes one held-out test set "
        f"of {' / '.join(f'{n:,}' for n in tests)} archs per task, the same for every "
        "predictor that needs no stored proxy.",
        f"- Predictors ({len(predictors)}): " + ", ".join(f"`{p}`" for p in predictors) + ".",
        "- Per task and size, predictors are ranked by Kendall tau averaged over seeds "
        "(1 = best, ties averaged); the summary averages each predictor's ranks over the "
        "tasks it ran on (n), with their std and quartiles (Demšar, JMLR 2006).",
        "",
        format_table(rows, index=False),
        "",
    ]
    return lines


def write_multitask_tables(
    results: pd.DataFrame,
    out_dir: str | Path,
    *,
    archs: dict[str, int] | None = None,
    command: str | None = None,
    title: str = "Performance predictors across tasks",
) -> list[Path]:
    """Write the cross-task summary and the per-task tables to ``out_dir``, whole.

    Args:
        results: the predictor study's rows on several tasks.
        out_dir: the output directory (a results store kept there survives).
        archs: archs per task name, for the protocol's task list (None: not shown).
        command: the command that regenerates these tables, quoted in the README.
        title: heading of the summary and README.

    Returns:
        The files written, as installed in ``out_dir``.

    Raises:
        InvalidInputError: no cell finished; ``out_dir`` is then left as it was.
    """
    check_finished(results)
    ranks = task_ranks(results)
    summary = cross_task_ranks(ranks)
    order = _predictor_order(summary)
    position = summary["predictor"].map(order.index)
    summary = summary.assign(_order=position).sort_values(["train_size", "_order"])
    summary = summary.drop(columns="_order").reset_index(drop=True)
    protocol = _protocol_lines(results, archs, command)
    with output_dir(out_dir, owns=OUTPUTS) as out:
        files = write_predictor_tables(results, out / "tasks")
        files.append(write_csv(ranks, out / "ranks.csv"))
        files.append(write_csv(summary, out / "summary.csv"))
        figure = rank_vs_size(
            summary.set_index("predictor").loc[order].reset_index(),
            out / "summary.png",
            title=f"Mean rank by Kendall tau across {ranks['task'].nunique()} tasks",
        )
        files.append(figure)
        lines = [f"# {title}: mean rank across tasks", ""]
        lines += _summary_lines(summary, ranks, order, results)
        files.append(write_text("\n".join(lines), out / "summary.md"))
        readme = [f"# {title}", "", *protocol]
        readme += [
            "## Files",
            "",
            "- `summary.md`, `summary.csv`, `summary.png`: each predictor's mean rank "
            "across tasks at each training size, with its spread and number of tasks; "
            "the per-task Kendall tau and rank at each size; the best predictor per task.",
            "- `ranks.csv`: per task, predictor and size, the mean Kendall tau over seeds "
            "and its rank there.",
            "- `tasks/predictors.md` (a section per task: Kendall, Spearman, fit and "
            "query times), `tasks/predictors.csv` (every cell), `tasks/summary.csv`, "
            "`tasks/kendall_vs_train_size_<task>.png`.",
            "",
        ]
        files.append(write_text("\n".join(readme), out / "README.md"))
    return relocate(files, out, out_dir)


def _summary_lines(
    summary: pd.DataFrame, ranks: pd.DataFrame, order: Sequence[str], results: pd.DataFrame
) -> list[str]:
    n_tasks = ranks["task"].nunique()
    table = (
        summary.assign(cell=summary.apply(_rank_cell, axis=1))
        .pivot(index="predictor", columns="train_size", values="cell")
        .loc[order]
    )
    lines = [
        f"Per task ({n_tasks}) and training size, the predictors that ran are ranked by "
        "Kendall tau averaged over seeds (1 = best); each cell is a predictor's mean rank "
        "over the tasks it ran on ± the std over tasks, and n, the number of those tasks "
        "(quartiles in summary.csv). Protocol: README.md.",
        "",
        format_table(table),
        "",
        "![Mean rank against training-set size](summary.png)",
        "",
        "Mean rank across tasks against training-set size, ± one std over tasks "
        "(shaded); rank 1 at the top.",
        "",
        "## Best predictor per task",
        "",
        "The predictor ranked first (mean Kendall tau over seeds in brackets; ties joined by `=`).",
        "",
    ]
    best = ranks[ranks["rank"] == ranks.groupby(["train_size", "task"])["rank"].transform("min")]
    cells = best.groupby(["task", "train_size"]).apply(
        lambda g: " = ".join(g["predictor"]) + f" ({g['mean'].iloc[0]:.3f})",
        include_groups=False,
    )
    tasks = list(dict.fromkeys(results["task"]))
    lines += [format_table(cells.unstack("train_size").reindex(tasks)), ""]
    lines += ["## Kendall tau and rank per task", ""]
    for size, part in ranks.groupby("train_size"):
        cell = part.apply(
            lambda r: "undefined" if pd.isna(r["mean"]) else f"{r['mean']:.3f} ({r['rank']:g})",
            axis=1,
        )
        grid = part.assign(cell=cell).pivot(index="task", columns="predictor", values="cell")
        grid = grid.reindex(index=[t for t in tasks if t in grid.index])
        grid = grid[[p for p in order if p in grid.columns]]
        lines += [f"### {size} training archs", "", format_table(grid), ""]
    lines += _not_run_lines(results)
    return lines


def _not_run_lines(results: pd.DataFrame) -> list[str]:
    """Which (task, predictor) pairs lack cells, and why, one row each."""
    bad = results[results["status"] != "ok"]
    if bad.empty:
        return []
    counted = (
        bad.assign(error=bad["error"].fillna("").str.slice(0, 120))
        .groupby(["task", "predictor", "status", "error"])
        .agg(
            cells=("seed", "size"),
            sizes=("train_size", lambda s: ",".join(map(str, sorted(set(s))))),
        )
        .reset_index()
    )
    return [
        "## Cells not run",
        "",
        "Skipped: the predictor cannot run on that task or size (missing from the "
        "ranks there); failed: it raised (the error is in tasks/predictors.csv).",
        "",
        format_table(counted, index=False),
        "",
    ]
