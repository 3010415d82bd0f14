"""The initialisation-versus-query trade-off study of performance predictors.

White, Zela, Ru, Liu and Hutter, "How Powerful are Performance Predictors in
Neural Architecture Search?", NeurIPS 2021, Figure 1. A predictor costs time
twice: *initialisation* (training its training set to completion, plus its fit
time) and *query* (per queried arch: the partial training its learning-curve
features need, the zero-cost proxies it reads, plus its query time). On a task
with per-epoch learning curves and epoch times, every predictor is evaluated
(Kendall tau on a held-out test set, several seeds) over a grid of training-set
sizes and partial-training epochs, and its costs are charged in seconds from the
recorded epoch times, stored proxy times and the measured fit/query times. For
each (init budget, query budget) cell of a grid, the best predictor whose costs
fit both budgets is the one shown, as in the paper's figure:

* model-based predictors (xgb, ngb, ...) pay only initialisation;
* learning-curve predictors (early stopping, SoTL, SoTL-E, LCE) only query;
* hybrids (LcSVR, OMNI) both;
* zero-cost proxies only their compute time per arch (query), when the task
  stores it (0 when it does not, said in the table's notes).

Every evaluated (seed, predictor, training size, epochs) unit goes to the
results store of the predictor study at once, so a killed study resumes.
"""

from __future__ import annotations

import inspect
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from naspred.benchmarks.task import Task
from naspred.errors import InvalidInputError
from naspred.experiments.predictors import TaskArchs, evaluate_cell, split
from naspred.experiments.units import SkipUnit, Unit, current_rows, data_tag, run_units
from naspred.journal import Journal
from naspred.predictors.spec import PredictorSpec

log = logging.getLogger(__name__)

#: the predictors of the default study: model-based, learning-curve, hybrid, zero-cost
#: Held-out archs per seed, unless the task has fewer than twice as many.
DEFAULT_TEST_SIZE = 200
DEFAULT_PREDICTORS: tuple[str, ...] = (
    "xgb",
    "early_stopping",
    "sotl",
    "sotl_e",
    "lce",
    "lcsvr",
    "omni:n_estimators=200",
    "zc:proxy=jacov",
    "zc:proxy=synflow",
)


@dataclass(frozen=True)
class _Plan:
    """How one predictor is swept: its training sizes, epochs and fixed extras."""

    spec: PredictorSpec
    sizes: tuple[int, ...]
    epochs: tuple[int | None, ...]  # None: the predictor takes no `epochs`
    extra: dict[str, Any]
    proxies: tuple[str, ...]
    curve_metrics: tuple[str, ...]


def _accepted(name: str) -> set[str]:
    from naspred.predictors import predictor_class

    base = name.partition(":")[0]
    return set(inspect.signature(predictor_class(base).__init__).parameters) - {"self"}


def _training_free(predictor: Any) -> bool:
    from naspred.predictors.base import ZeroCostPredictor

    return isinstance(predictor, ZeroCostPredictor) or bool(
        getattr(predictor, "training_free", False)
    )


def default_query_epochs(n_epochs: int) -> tuple[int, ...]:
    """Partial-training lengths swept by default: 1, 2, 4, 8, ... below ``n_epochs``
    (training to the end is what the target measures, so it is left out)."""
    return tuple(e for e in (1, 2, 4, 8, 16, 32, 64, 128) if e < n_epochs)


def _plan(
    task: Task, spec: PredictorSpec, train_sizes: Sequence[int], query_epochs: Sequence[int]
) -> _Plan:
    """How ``spec`` is swept, from what it declares in ``needs``: a predictor that reads
    a partial learning curve (``needs.curve_epochs > 0``) and does not fix its length
    in the spec is swept over ``query_epochs`` through its ``epochs`` hyper-parameter;
    one that reads none (an MLP whose ``epochs`` is its own training length, say) is
    never charged partial training."""
    from naspred.predictors import make_predictor

    extra: dict[str, Any] = {}
    if "final_epoch" in _accepted(spec.name) and "final_epoch" not in spec.params:
        # LCE extrapolates to the end of the task's schedule
        extra["final_epoch"] = task.n_epochs
    probe = make_predictor(spec.name, **{**spec.params, **extra})
    needs = probe.needs
    sweeps_epochs = needs.curve_epochs > 0 and "epochs" not in spec.params
    if sweeps_epochs:
        for e in query_epochs:
            swept = make_predictor(spec.name, **{**spec.params, **extra, "epochs": e}).needs
            if swept.curve_epochs != e:
                raise InvalidInputError(
                    f"predictor {spec.id} reads a partial curve but epochs={e} makes it read "
                    f"{swept.curve_epochs} epochs; fix its curve length in the spec "
                    "(e.g. NAME:epochs=4)"
                )
    epochs: tuple[int | None, ...] = tuple(query_epochs) if sweeps_epochs else (None,)
    sizes = (0,) if _training_free(probe) else tuple(sorted(train_sizes))
    metrics = needs.curve_metrics if needs.curve_epochs else ()
    return _Plan(spec, sizes, epochs, extra, needs.proxies, tuple(metrics))


def _unit(data: str, task: Task, seed: int, spec: PredictorSpec, size: int, e: int | None) -> str:
    return f"tradeoff|{task.name}|data={data}|seed={seed}|{spec.id}|n={size}|e={e or 0}"


def _train_seconds(task: Task, rows: np.ndarray, epochs: int | None = None) -> np.ndarray:
    """Recorded seconds to train each arch at ``rows`` for ``epochs`` epochs (all: None)."""
    times = np.asarray(task.curves["epoch_time"], dtype=float)[rows]
    if epochs is not None:
        times = times[:, :epochs]
    return np.nansum(times, axis=1)


def _proxy_seconds(task: Task, rows: np.ndarray, proxies: Sequence[str]) -> tuple[np.ndarray, bool]:
    """Per-arch seconds of computing ``proxies`` (stored times); and whether any was unknown."""
    total = np.zeros(len(rows))
    unknown = False
    for name in proxies:
        times = task.proxy_times.get(name)
        values = np.full(len(rows), np.nan) if times is None else np.asarray(times, float)[rows]
        unknown |= bool((~np.isfinite(values)).any())
        total += np.nan_to_num(values, nan=0.0, posinf=0.0)
    return total, unknown


def check_curve_task(task: Task) -> None:
    """Raise ``ValueError`` naming what is missing if ``task`` cannot run the study."""
    if "epoch_time" not in task.curves:
        have = sorted(task.curves) or "none"
        raise InvalidInputError(
            f"task {task.name} has no per-epoch training times (curves: {have}); the "
            "trade-off study needs a learning-curve benchmark (naspred make-benchmark)"
        )
    if task.n_epochs < 2:
        raise InvalidInputError(f"task {task.name} has {task.n_epochs} epochs of curves; need >= 2")


def run_tradeoff_study(
    task: Task,
    predictors: Sequence[PredictorSpec],
    store: str | Path | Journal,
    *,
    train_sizes: Sequence[int] = (10, 30, 100, 300),
    query_epochs: Sequence[int] | None = None,
    seeds: Sequence[int] = (0, 1, 2),
    test_size: int | None = None,
    progress: bool = True,
    retry_failed: bool = False,
) -> pd.DataFrame:
    """Evaluate every (seed, predictor, training size, epochs) unit not yet in ``store``.

    A predictor that reads a partial learning curve (``needs.curve_epochs``; its
    ``epochs`` not fixed in the spec) is swept over ``query_epochs`` (default
    :func:`default_query_epochs`); one that learns
    nothing from trained archs (learning-curve predictors, zero-cost proxies) is
    run once per seed and epochs, with no training set; the others over
    ``train_sizes`` (sizes larger than the training pool are skipped). LCE's
    ``final_epoch`` is set to the task's number of epochs.

    The test set per seed is shared by every predictor: archs with a finite target,
    complete curves and, for each proxy some predictor reads that the task stores,
    a finite score. Returns the store's rows of this task (``status`` ok / skipped /
    failed), with the costs: ``init_s`` (seconds to fully train the training set,
    its proxies, plus fit time) and ``query_arch_s`` (seconds per queried arch:
    partial training, proxies, plus query time per arch).
    """
    check_curve_task(task)
    journal = store if isinstance(store, Journal) else Journal(store)
    epochs = (
        tuple(query_epochs) if query_epochs is not None else default_query_epochs(task.n_epochs)
    )
    bad = [e for e in epochs if not 1 <= e <= task.n_epochs]
    if bad:
        raise InvalidInputError(
            f"query epochs {bad} are outside 1..{task.n_epochs} for task {task.name}"
        )
    plans = [_plan(task, spec, train_sizes, epochs) for spec in predictors]

    eligible = np.isfinite(task.val_accuracy)
    metrics = {"epoch_time"} | {m for p in plans for m in p.curve_metrics}
    for metric in sorted(metrics & set(task.curves)):
        eligible &= np.isfinite(np.asarray(task.curves[metric], float)).all(axis=1)
    for name in sorted({p for plan in plans for p in plan.proxies} & set(task.proxies)):
        eligible &= task.has_proxy(name) & np.isfinite(task.proxies[name])
    if test_size is None:  # a small (e.g. still growing) benchmark tests on half its archs
        test_size = min(DEFAULT_TEST_SIZE, int(eligible.sum()) // 2)
    if eligible.sum() <= test_size or test_size < 1:
        raise InvalidInputError(
            f"task {task.name}: {int(eligible.sum())} archs have a target, complete curves "
            f"and the proxies read; too few for a test set of {test_size}"
        )

    data = data_tag(task, test_size)
    archs = TaskArchs(task)
    units = [
        Unit(
            _unit(data, task, seed, plan.spec, size, e),
            _tradeoff_cell,
            (task, plan, seed, size, e, test_size, eligible, archs),
            {
                "study": "tradeoff",
                "task": task.name,
                "data": data,
                "seed": seed,
                "predictor": plan.spec.id,
                "train_size": size,
                "epochs": 0 if e is None else e,
                "test_size": test_size,
            },
        )
        for seed in seeds
        for plan in plans
        for size in plan.sizes
        for e in plan.epochs
    ]
    run_units(units, journal, retry_failed=retry_failed, progress=progress, desc="trade-off study")
    return current_rows(journal.frame(), "tradeoff", {task.name: data})


def _tradeoff_cell(
    task: Task,
    plan: _Plan,
    seed: int,
    size: int,
    e: int | None,
    test_size: int,
    eligible: np.ndarray,
    archs: TaskArchs,
) -> dict[str, Any]:
    """One (seed, predictor, size, epochs) unit: its scores and its costs in seconds."""
    test_rows, pool = split(task, seed, test_size, eligible)
    if size > len(pool):
        raise SkipUnit(f"only {len(pool)} training archs")
    train_rows = pool[:size]
    spec = plan.spec
    params = {**spec.params, **plan.extra, **({} if e is None else {"epochs": e})}
    cell = evaluate_cell(
        task, PredictorSpec(spec.name, params), train_rows, test_rows, seed, archs.get()
    )
    init_data = float(_train_seconds(task, train_rows).sum())
    proxy_init, _ = _proxy_seconds(task, train_rows, plan.proxies)
    proxy_query, unknown = _proxy_seconds(task, test_rows, plan.proxies)
    query_data = float(_train_seconds(task, test_rows, e).mean()) if e is not None else 0.0
    return {
        **cell,
        "init_data_s": init_data + float(proxy_init.sum()),
        "query_data_s": query_data + float(proxy_query.mean()),
        "init_s": init_data + float(proxy_init.sum()) + cell["fit_s"],
        "query_arch_s": query_data + float(proxy_query.mean()) + cell["query_s"] / len(test_rows),
        "proxy_time_unknown": unknown,
    }


def summarise_configs(results: pd.DataFrame) -> pd.DataFrame:
    """One row per (predictor, training size, epochs) evaluated on every seed: mean
    and std of Kendall tau, mean costs."""
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
    cost (e.g. SoTL-E against early stopping, Ru et al., NeurIPS 2021)."""
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
    Kendall tau among those whose ``init_s`` and ``query_arch_s`` fit (a relative
    tolerance of 1e-9 lets a budget equal to a cost include it). The runner-up
    predictor family (another predictor) is listed too."""
    rows = []
    for qb in query_budgets:
        for ib in init_budgets:
            fits = configs[
                (configs["init_s"] <= ib * (1 + 1e-9))
                & (configs["query_arch_s"] <= qb * (1 + 1e-9))
            ].sort_values("kendall", ascending=False)
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
                    init_s=float(best["init_s"]),
                    query_arch_s=float(best["query_arch_s"]),
                    runner_up=others.iloc[0]["predictor"] if len(others) else None,
                    runner_up_kendall=float(others.iloc[0]["kendall"]) if len(others) else math.nan,
                )
            else:
                row.update(best=None, kendall=math.nan)
            rows.append(row)
    return pd.DataFrame(rows)


def _seconds(value: float) -> str:
    if value == 0:
        return "0"
    if value < 1:
        return f"{value:.2g} s"
    if value < 600:
        return f"{value:.3g} s"
    if value < 36000:
        return f"{value / 60:.3g} min"
    return f"{value / 3600:.3g} h"


def tradeoff_figure(
    grid: pd.DataFrame,
    path: str | Path,
    *,
    title: str,
    arch_seconds: float | None = None,
    epoch_seconds: float | None = None,
) -> Path:
    """Each (init budget, query budget) cell coloured by its best predictor, with its
    Kendall tau written in it (White et al., NeurIPS 2021, Fig. 1). With
    ``arch_seconds`` / ``epoch_seconds`` (mean full-training and one-epoch time),
    the axis labels also say how many archs / epochs a budget buys."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    inits = sorted(grid["init_budget_s"].unique())
    queries = sorted(grid["query_budget_s"].unique())
    names = sorted(n for n in grid["best"].dropna().unique())
    palette = sns.color_palette(
        "tab10" if len(names) <= 10 else "tab20", n_colors=max(len(names), 1)
    )
    index = np.full((len(queries), len(inits)), np.nan)
    fig, ax = plt.subplots(figsize=(1.2 + 1.05 * len(inits), 1.4 + 0.62 * len(queries)))
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
        text = _seconds(value)
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
    fig.savefig(path, dpi=130, bbox_inches="tight")
    plt.close(fig)
    return path


def write_tradeoff_tables(
    task: Task,
    results: pd.DataFrame,
    out_dir: str | Path,
    *,
    init_budgets: Sequence[float] | None = None,
    query_budgets: Sequence[float] | None = None,
) -> list[Path]:
    """``units.csv`` (every evaluated unit), ``configs.csv`` (mean over seeds per
    configuration, with costs), ``tradeoff.csv`` (the best predictor per budget
    cell), ``tradeoff.md`` and ``tradeoff_<task>.png``. Budgets default to the cost
    levels of the evaluated configurations (:func:`default_budgets`): a column per
    training-set size, a row per epoch count (and one for the zero-cost proxies)."""
    from naspred.reports.tables import format_table, not_run_section, write_csv

    out = Path(out_dir)
    configs = summarise_configs(results)
    if configs.empty:
        raise InvalidInputError("no configuration finished on every seed; nothing to tabulate")
    if not init_budgets:
        init_budgets = default_budgets(configs["init_s"], configs["init_data_s"])
    if not query_budgets:
        query_budgets = default_budgets(configs["query_arch_s"], configs["query_data_s"])
    grid = best_per_budget(configs, init_budgets, query_budgets)
    stem = task.name.replace("/", "__")
    files = [
        write_csv(results.drop(columns=["traceback"], errors="ignore"), out / "units.csv"),
        write_csv(configs, out / "configs.csv"),
        write_csv(grid, out / "tradeoff.csv"),
    ]
    arch_s = float(np.nanmean(_train_seconds(task, np.arange(len(task)))))
    epoch_s = float(np.nanmean(np.asarray(task.curves["epoch_time"], float)))
    figure = tradeoff_figure(
        grid,
        out / f"tradeoff_{stem}.png",
        title=f"Best predictor per budget (Kendall tau), {task.name}",
        arch_seconds=arch_s,
        epoch_seconds=epoch_s,
    )
    files.append(figure)

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
    table.index = [_seconds(v) for v in table.index]
    table.columns = [_seconds(v) for v in table.columns]
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
        "training set to completion (recorded epoch times) plus fit time. Query budget: "
        "seconds per queried arch of partial training (recorded epoch times), proxies and "
        f"query time. n = training archs, e = epochs of partial training. One arch trains "
        f"in {_seconds(arch_s)} on average, one epoch in {_seconds(epoch_s)}.",
        "",
        format_table(table),
        "",
        f"![best predictor per budget]({figure.name})",
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
    (out / "tradeoff.md").write_text("\n".join(lines))
    files.append(out / "tradeoff.md")
    return files


def curve_benchmark_summary(task: Task, reference: Task | None = None) -> list[str]:
    """Markdown lines describing a learning-curve benchmark: its size, the spread of
    its final accuracies (whether they spread enough to rank), its training times,
    and, given a ``reference`` task of the same space (the published benchmark),
    the rank agreement of the two accuracies on their common archs."""
    from naspred.metrics import kendall, spearman

    acc = np.asarray(task.val_accuracy, float)
    q = np.nanpercentile(acc, [0, 10, 25, 50, 75, 90, 100])
    arch_s = _train_seconds(task, np.arange(len(task)))
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


def synthetic_curve_task(task: Task, n_epochs: int = 20, seed: int = 0, noise: float = 0.5) -> Task:
    """``task`` with synthetic learning curves, for tests and for trying the study
    before a measured learning-curve benchmark is at hand (never as a result).

    Per arch: a saturating validation-accuracy curve ``A - (A - b) exp(-r t)``
    whose value at the last epoch is the arch's ``val_accuracy`` plus Gaussian
    noise (std ``noise`` points), with a random rate ``r`` (so early epochs rank
    the archs imperfectly), per-epoch noise; a training loss that decays to a
    floor lower for more accurate archs; and a constant epoch time (lognormal,
    2-20 s) with 5 % jitter. Curves are in percent, like ``val_accuracy``.
    """
    rng = np.random.default_rng(seed)
    n = len(task)
    t = np.arange(1, n_epochs + 1, dtype=float)[None, :]
    final = np.asarray(task.val_accuracy, float) + rng.normal(0, noise, n)
    final = np.clip(np.nan_to_num(final, nan=10.0), 1.0, 99.9)
    rate = rng.uniform(0.08, 0.45, n)[:, None]
    start = rng.uniform(10.0, 30.0, n)[:, None]
    start = np.minimum(start, final[:, None] - 0.5)
    decay = np.exp(-rate * n_epochs)
    asym = (final[:, None] - start * decay) / (1.0 - decay)
    val = asym - (asym - start) * np.exp(-rate * t) + rng.normal(0, 0.4, (n, n_epochs))
    val[:, -1] = final
    floor = 0.05 + 1.5 * (1.0 - final / 100.0) + rng.normal(0, 0.01, n)
    loss_rate = rate * rng.uniform(0.8, 1.25, (n, 1))
    loss = floor[:, None] + (2.3 - floor[:, None]) * np.exp(-loss_rate * t)
    loss = np.maximum(loss + rng.normal(0, 0.01, (n, n_epochs)), 1e-3)
    epoch = np.exp(rng.uniform(np.log(2.0), np.log(20.0), n))[:, None]
    epoch_time = epoch * rng.uniform(0.95, 1.05, (n, n_epochs))
    train_acc = np.clip(100.0 * (1.0 - loss / 2.5), 0.0, 100.0)
    return replace(
        task,
        curves={
            "val_accuracy": np.clip(val, 0.0, 100.0),
            "val_loss": loss * 1.1,
            "train_loss": loss,
            "train_accuracy": train_acc,
            "epoch_time": epoch_time,
        },
        source=f"{task.source} + synthetic curves (seed {seed})",
    )
