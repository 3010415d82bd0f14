"""Proxy-vs-ground-truth correlations per task, ranks across tasks, and
cross-proxy correlation matrices — the numbers behind the correlation study
(as tabulated in NAS-Bench-Suite-Zero, Krishnakumar et al., NeurIPS 2022)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from naspred.benchmarks.task import TARGET, Task
from naspred.errors import UnknownNameError
from naspred.metrics import ranking_metrics, score_predictions, spearman, spearman_matrix


def proxy_correlations(
    tasks: Sequence[Task],
    *,
    target: str = TARGET,
    proxies: Sequence[str] | None = None,
    progress: bool = True,
    failed_as_worst: bool = False,
) -> pd.DataFrame:
    """One row per (task, proxy): Spearman, Kendall, Pearson, top-k precision/recall,
    ``n`` archs used, ``n_nonfinite`` archs dropped for a NaN/inf score or target,
    the ranking metrics of :func:`naspred.metrics.ranking_metrics` (pairwise-order
    accuracy, nDCG@10, the rank of the truly best arch), ``n_failed`` archs on which
    the proxy failed (:attr:`Task.proxy_failed`, e.g.
    Suite-Zero's ``-1e8``) and ``n_missing`` archs for which the source stores no score.

    Args:
        tasks: the tasks.
        target: ``val_accuracy`` or any target the tasks store.
        proxies: restricts the proxies (default: every proxy each task holds).
        progress: show a progress bar over tasks.
        failed_as_worst: rank failures last (tied) instead of leaving them out, the
            NAS-Bench-Suite-Zero notebooks' convention (:meth:`Task.failures_as_worst`);
            ``n`` then includes them, and ``n_failed`` still counts them.
    """
    rows = []
    for task in tqdm(tasks, desc="correlations", unit="task", disable=not progress):
        truth = _column(task, target)
        scored = task.failures_as_worst() if failed_as_worst else task
        for name in sorted(task.proxies):
            if proxies is not None and name not in proxies:
                continue
            present = task.has_proxy(name)
            failed = task.failed(name) & present
            use = present if failed_as_worst else present & ~failed
            rows.append(
                {
                    "task": task.name,
                    "proxy": name,
                    **score_predictions(truth[use], scored.proxies[name][use]),
                    **ranking_metrics(truth[use], scored.proxies[name][use]),
                    "n_failed": int(failed.sum()),
                    "n_missing": int((~present).sum()),
                }
            )
    columns = ["task", "proxy", "spearman", "kendall", "pearson"]
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=[*columns, "n", "n_nonfinite", "n_failed", "n_missing"])
    return frame


def _column(task: Task, name: str) -> np.ndarray:
    if name == TARGET:
        return task.val_accuracy
    if name in task.targets:
        return task.targets[name]
    raise UnknownNameError(
        f"task {task.name} has no target {name!r}; it has {[TARGET, *task.targets]}"
    )


def mean_ranks(table: pd.DataFrame, metric: str = "spearman") -> pd.DataFrame:
    """Each proxy's mean rank by ``metric`` (1 = best), over tasks all ranked proxies share.

    A mean rank over different tasks compares nothing (a proxy seen on one easy
    task would outrank one seen on eleven), so proxies are ranked as one group on
    the tasks every member holds (an undefined ``metric`` counts as not held): for
    each proxy, the group of proxies holding every task it holds; the group that
    covers the most (proxy, task) cells is ranked (ties: more tasks, then more
    proxies, then task names), ranks taken among the group within each of its
    tasks and averaged. The other proxies get no mean rank and follow, by how many
    tasks hold them.

    Args:
        table: one row per (task, proxy) with ``metric``
            (:func:`proxy_correlations`).
        metric: the column to rank by.

    Returns:
        One row per proxy: ``mean_rank`` (NaN where not ranked), ``ranked_tasks``
        (the tasks its mean rank averages: the same for every ranked proxy, 0 for
        the others), ``tasks`` (tasks holding it) and ``mean_<metric>`` (over all
        those tasks), ranked proxies first, best first.
    """
    columns = ["proxy", "mean_rank", "ranked_tasks", "tasks", f"mean_{metric}"]
    if table.empty:
        return pd.DataFrame(columns=columns)
    held = table.dropna(subset=[metric])
    tasks_of = {p: frozenset(part["task"]) for p, part in held.groupby("proxy")}
    best: tuple[tuple, frozenset, list[str]] | None = None
    for tasks in set(tasks_of.values()):
        group = sorted(p for p, own in tasks_of.items() if tasks <= own)
        key = (-len(group) * len(tasks), -len(tasks), -len(group), sorted(tasks))
        if best is None or key < best[0]:
            best = (key, tasks, group)
    all_proxies = sorted(set(table["proxy"]))
    out = pd.DataFrame({"proxy": all_proxies}).set_index("proxy")
    out["mean_rank"] = np.nan
    out["ranked_tasks"] = 0
    if best is not None:
        _, tasks, group = best
        shared = held[held["proxy"].isin(group) & held["task"].isin(tasks)].copy()
        shared["rank"] = shared.groupby("task")[metric].rank(ascending=False, method="average")
        out.loc[group, "mean_rank"] = shared.groupby("proxy")["rank"].mean()
        out.loc[group, "ranked_tasks"] = len(tasks)
    out["tasks"] = held.groupby("proxy").size().reindex(out.index, fill_value=0)
    out[f"mean_{metric}"] = held.groupby("proxy")[metric].mean()
    out = out.reset_index()
    out["unranked"] = out["mean_rank"].isna()
    out = out.sort_values(
        ["unranked", "mean_rank", "tasks", f"mean_{metric}", "proxy"],
        ascending=[True, True, False, False, True],
    )
    return out[columns].reset_index(drop=True)


def cross_correlation(task: Task) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Spearman between every pair of ground truths and proxies of one task
    (``val_accuracy`` first), on the archs where both are finite.

    Returns ``(rho, n)`` as square DataFrames.
    """
    columns = {TARGET: task.val_accuracy, **task.targets, **dict(sorted(task.proxies.items()))}
    rho, used = spearman_matrix(columns)
    names = list(columns)
    return pd.DataFrame(rho, names, names), pd.DataFrame(used, names, names)


def mean_cross_correlation(matrices: Sequence[pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Average of per-task correlation matrices over the tasks where each pair exists.

    Returns ``(mean, count)``; ``val_accuracy`` stays first, the rest are ordered by
    how many tasks hold them, then by name.
    """
    seen: dict[str, int] = {}
    for m in matrices:
        for name in m.index:
            seen[name] = seen.get(name, 0) + 1
    names = sorted(seen, key=lambda s: (s != TARGET, -seen[s], s))
    aligned = [m.reindex(index=names, columns=names) for m in matrices]
    stacked = np.stack([a.to_numpy(dtype=float) for a in aligned])
    count = np.isfinite(stacked).sum(axis=0)
    with np.errstate(invalid="ignore"):
        mean = np.where(count > 0, np.nansum(stacked, axis=0) / np.maximum(count, 1), np.nan)
    return pd.DataFrame(mean, names, names), pd.DataFrame(count, names, names)


def proxy_agreement(ours: Task, stored: Task) -> pd.DataFrame:
    """How scores computed here agree with the scores a benchmark stores.

    For every proxy both tasks hold, on the archs of ``ours`` that also carry a
    stored score: Spearman(ours, stored), and each one's Spearman with
    ``val_accuracy`` both on the archs where *both* are finite (like with like) and
    on each one's own finite archs; plus the counts of archs and of non-finite scores
    on each side (a dead cell is NaN here where Suite-Zero stores -1e8).
    """
    rows = stored.index(ours.keys)
    truth = stored.val_accuracy[rows]
    out = []
    for name in sorted(set(ours.proxies) & set(stored.proxies)):
        mine = ours.proxies[name]
        theirs = stored.proxies[name][rows]
        has = stored.has_proxy(name)[rows]
        both = has & np.isfinite(mine) & np.isfinite(theirs)
        out.append(
            {
                "proxy": name,
                "archs": int(has.sum()),
                "ours_nonfinite": int((has & ~np.isfinite(mine)).sum()),
                "stored_nonfinite": int((has & ~np.isfinite(theirs)).sum()),
                "spearman(ours, stored)": spearman(mine[both], theirs[both]),
                "ours vs acc (common)": spearman(truth[both], mine[both]),
                "stored vs acc (common)": spearman(truth[both], theirs[both]),
                "ours vs acc": spearman(truth[has], mine[has]),
                "stored vs acc": spearman(truth[has], theirs[has]),
            }
        )
    return pd.DataFrame(out)
