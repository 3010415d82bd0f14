"""The correlation study: how well each stored proxy ranks architectures, per task.

Produces, in one output directory:

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

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from naspred.benchmarks.task import TARGET, Task
from naspred.errors import InvalidInputError
from naspred.experiments.correlation_stats import (
    cross_correlation,
    mean_cross_correlation,
    mean_ranks,
    proxy_correlations,
)
from naspred.reports.figures import correlation_heatmap
from naspred.reports.tables import format_table, write_csv

log = logging.getLogger(__name__)


@dataclass
class CorrelationStudy:
    """Results of :func:`run_correlation_study`, and the files it wrote."""

    table: pd.DataFrame
    ranks: pd.DataFrame
    cross: dict[str, pd.DataFrame]
    mean_cross: pd.DataFrame
    files: list[Path] = field(default_factory=list)

    def pivot(self, metric: str = "spearman") -> pd.DataFrame:
        """Proxies x tasks table of ``metric``, proxies ordered by mean rank."""
        if self.table.empty:
            return pd.DataFrame()
        wide = self.table.pivot(index="proxy", columns="task", values=metric)
        order = [p for p in self.ranks["proxy"] if p in wide.index]
        order += [p for p in wide.index if p not in order]
        tasks = list(dict.fromkeys(self.table["task"]))
        return wide.reindex(index=order, columns=tasks)


def run_correlation_study(
    tasks: Sequence[Task],
    out_dir: str | Path,
    *,
    title: str = "Zero-cost proxy correlations",
    progress: bool = True,
) -> CorrelationStudy:
    """Compute every table and figure of the correlation study and write them to ``out_dir``."""
    if not tasks:
        raise InvalidInputError("no tasks to study; see `naspred tasks` for what is available")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    table = proxy_correlations(tasks, progress=progress)
    ranks = mean_ranks(table)
    cross, counts = {}, {}
    for task in tqdm(tasks, desc="cross-correlations", unit="task", disable=not progress):
        cross[task.name], counts[task.name] = cross_correlation(task)
    mean_cross, mean_count = mean_cross_correlation(list(cross.values()))
    study = CorrelationStudy(table, ranks, cross, mean_cross)

    study.files += [
        write_csv(table, out / "correlations.csv"),
        write_csv(ranks, out / "mean_rank.csv"),
        write_csv(_long_cross(cross, counts), out / "cross_spearman.csv"),
    ]
    (out / "correlations.md").write_text(_markdown(study, tasks, title))
    study.files.append(out / "correlations.md")
    if not table.empty:
        pivot = study.pivot("spearman")
        study.files.append(
            correlation_heatmap(
                pivot, out / "spearman.png", title=f"{title}: Spearman with {TARGET}"
            )
        )
    for name, matrix in tqdm(cross.items(), desc="heatmaps", unit="task", disable=not progress):
        study.files.append(
            correlation_heatmap(
                matrix,
                out / "heatmaps" / f"{name.replace('/', '__')}.png",
                title=f"Spearman, {name}",
            )
        )
    study.files.append(
        correlation_heatmap(
            mean_cross,
            out / "heatmap_mean.png",
            title=f"Spearman averaged over {len(tasks)} tasks (tasks per cell)",
            counts=mean_count,
        )
    )
    log.info("correlation study: wrote %d files to %s", len(study.files), out)
    return study


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


def _markdown(study: CorrelationStudy, tasks: Sequence[Task], title: str) -> str:
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
