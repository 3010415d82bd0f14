"""Figures a reader can use: triangle heatmaps with n per cell, clustered proxies,
predictor quality by family, markdown without ``nan``, mean ranks over shared tasks."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from naspred.benchmarks import load_tasks
from naspred.benchmarks.task import TARGET
from naspred.errors import InvalidInputError, UnknownNameError
from naspred.experiments import run_correlation_study
from naspred.experiments.correlation_stats import cross_correlation, mean_ranks
from naspred.metrics import spearman_matrix
from naspred.reports.figures import draw_metric_by_family, draw_triangle_heatmap
from naspred.reports.heatmap_layout import cluster_order, lower_triangle
from naspred.reports.predictors import FAMILY_ORDER, predictor_family
from naspred.reports.tables import format_table

ROOT = Path(__file__).resolve().parents[1]


def _cells(fig) -> dict[tuple[int, int], str]:
    """The annotation of each heatmap cell, by (row, column)."""
    ax = fig.axes[0]
    return {(int(t.get_position()[1]), int(t.get_position()[0])): t.get_text() for t in ax.texts}


def _scores(seed: int = 0, n: int = 200) -> dict[str, np.ndarray]:
    """val_accuracy and four proxies: ``copy`` ranks exactly as ``base``, ``near``
    follows ``base`` loosely, ``noise`` is independent of everything."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=n)
    return {
        TARGET: base + rng.normal(size=n),
        "noise": rng.normal(size=n),
        "base": base,
        "near": base + 2 * rng.normal(size=n),
        "copy": np.exp(base),  # monotone in base: Spearman exactly 1
    }


def _matrices(columns: dict[str, np.ndarray]) -> tuple[pd.DataFrame, pd.DataFrame]:
    rho, n = spearman_matrix(columns)
    names = list(columns)
    return pd.DataFrame(rho, names, names), pd.DataFrame(n, names, names)


def test_the_heatmap_keeps_only_the_lower_triangle():
    rho, n = _matrices(_scores())
    layout = lower_triangle(rho, n, [TARGET])
    # 5 names: rows are names 2..5, columns names 1..4, cells above the diagonal hidden
    assert layout.values.shape == (4, 4) and layout.order[0] == TARGET
    assert list(layout.values.columns) == layout.order[:-1]
    assert list(layout.values.index) == layout.order[1:]
    assert (layout.mask == np.triu(np.ones((4, 4), bool), k=1)).all()
    fig = draw_triangle_heatmap(layout, title="t")
    mesh = fig.axes[0].collections[0].get_array()
    assert (np.ma.getmaskarray(mesh).reshape(4, 4) == layout.mask).all()
    # one annotation per kept cell, none on the hidden ones: 4 + 3 + 2 + 1
    assert len(_cells(fig)) == 10
    assert all(not layout.mask[i, j] for i, j in _cells(fig))


def test_the_annotated_n_are_the_pair_counts(suite_zero_dir):
    # zen is stored for all 15,625 NB201 cells (failing on 341), the other proxies for
    # 491 of them (jacov and epe_nas failing on 7)
    [task] = load_tasks(["nasbench201/cifar10"], suite_zero=suite_zero_dir, embedded=False)
    rho, n = cross_correlation(task)
    layout = lower_triangle(rho, n, [TARGET, *task.targets])
    fig = draw_triangle_heatmap(layout, title="t")
    seen = set()
    for (i, j), text in _cells(fig).items():
        value, count = re.fullmatch(r"(-?\d\.\d\d)\nn=(\d+)", text).groups()
        a, b = layout.values.index[i], layout.values.columns[j]
        assert int(count) == n.at[a, b] and float(value) == pytest.approx(rho.at[a, b], abs=0.005)
        seen.add(int(count))
    assert seen == {484, 491, 15284}
    assert n.at["zen", TARGET] == 15284 and n.at["zen", "synflow"] == 484  # 7 dead cells fail both
    assert n.at["jacov", TARGET] == 484


def test_targets_come_first_and_are_never_clustered(suite_zero_dir):
    [task] = load_tasks(["nasbench201/cifar10"], suite_zero=suite_zero_dir, embedded=False)
    rho, n = cross_correlation(task)
    layout = lower_triangle(rho, n, [TARGET])
    assert layout.order[0] == TARGET and layout.n_targets == 1
    assert sorted(layout.order[1:]) == sorted(task.proxies)
    # NB201 params and flops rank the 491 cells alike (Spearman 0.997): side by side
    i, j = layout.order.index("params"), layout.order.index("flops")
    assert abs(i - j) == 1


def test_clustering_is_deterministic_and_groups_a_perfect_pair():
    rho, n = _matrices(_scores())
    proxies = ["noise", "base", "near", "copy"]
    order = cluster_order(rho.loc[proxies, proxies])
    assert abs(order.index("base") - order.index("copy")) == 1
    assert order[0] == "noise" or order[-1] == "noise"  # the outlier joins last
    shuffled = ["copy", "near", "noise", "base"]
    assert cluster_order(rho.loc[shuffled, shuffled]) == order
    assert cluster_order(rho.loc[proxies, proxies]) == order
    assert lower_triangle(rho, n, [TARGET]).order == [TARGET, *order]


def test_a_heatmap_needs_two_names_and_counts_for_each():
    rho, n = _matrices(_scores())
    with pytest.raises(InvalidInputError, match="two or more"):
        lower_triangle(rho.loc[[TARGET], [TARGET]], n, [TARGET])
    with pytest.raises(InvalidInputError, match=r"counts lack \['copy'\]"):
        lower_triangle(rho, n.drop(index="copy", columns="copy"), [TARGET])


def test_markdown_leaves_missing_cells_blank_and_prints_integers_as_integers():
    frame = pd.DataFrame(
        {
            "spearman": [0.7346, np.nan],
            "tasks": [11, 1],
            "n": pd.array([491, pd.NA], dtype="Int64"),
            "note": ["x", None],
        },
        index=pd.Index(["params", "jacov"], name="proxy"),
    )
    text = format_table(frame)
    assert "nan" not in text.lower() and "<NA>" not in text and "None" not in text
    header, rule, first, second = text.splitlines()
    assert [c.strip() for c in first.split("|")[1:-1]] == ["params", "0.735", "11", "491", "x"]
    assert [c.strip() for c in second.split("|")[1:-1]] == ["jacov", "", "1", "", ""]
    assert rule == "|:--------|-----------:|--------:|----:|:-------|"


def test_mean_rank_is_taken_over_the_tasks_the_ranked_proxies_share():
    # c is held by t1 alone, where it is best: averaged over its own tasks it would
    # rank first (1.0), above a and b seen on three tasks
    table = pd.DataFrame(
        {
            "task": ["t1", "t1", "t1", "t2", "t2", "t3", "t3", "t3"],
            "proxy": ["a", "b", "c", "a", "b", "a", "b", "d"],
            "spearman": [0.9, 0.5, 0.99, 0.1, 0.2, 0.5, 0.4, np.nan],
        }
    )
    ranks = mean_ranks(table)
    assert list(ranks["proxy"]) == ["a", "b", "c", "d"]
    ranks = ranks.set_index("proxy")
    # a: ranks 1, 2, 1 among {a, b}; b: 2, 1, 2
    assert ranks.loc["a", "mean_rank"] == pytest.approx(4 / 3)
    assert ranks.loc["b", "mean_rank"] == pytest.approx(5 / 3)
    assert ranks.loc[["a", "b"], "ranked_tasks"].tolist() == [3, 3]
    assert np.isnan(ranks.loc["c", "mean_rank"]) and ranks.loc["c", "ranked_tasks"] == 0
    assert ranks.loc["c", "tasks"] == 1 and ranks.loc["c", "mean_spearman"] == 0.99
    # an undefined correlation is no task held, and is still listed
    assert ranks.loc["d", "tasks"] == 0 and np.isnan(ranks.loc["d", "mean_rank"])


def test_the_correlation_markdown_has_no_nan_and_n_beside_each_figure(tmp_path):
    [task] = load_tasks(["nasbench201/cifar10-lc"])
    study = run_correlation_study([task], tmp_path, progress=False)
    md = (tmp_path / "correlations.md").read_text()
    assert "nan" not in md
    figure = "heatmaps/nasbench201__cifar10-lc.png"
    assert f"![cross-correlations, nasbench201/cifar10-lc]({figure})" in md
    # n spans the pair counts of the shown triangle: some scores of the 1,000 failed
    # (azn_expr on 99 archs, jacov on 5)
    _, n = cross_correlation(task)
    shown = n.to_numpy()[np.tril_indices(len(n), k=-1)]
    assert (shown.min(), shown.max()) == (897, 1000)
    assert "cross-correlations, nasbench201/cifar10-lc (n = 897-1,000 archs per pair)." in md
    assert "cross-correlations averaged over tasks (n = 1 of 1 tasks per cell)." in md
    # the tasks column is an integer column: "|       1 |", never "1.000"
    row = next(line for line in md.splitlines() if line.startswith("| jacov "))
    assert row.split("|")[-2].strip() == "1"
    # the averaged heatmap holds val_accuracy and the proxies, no other target
    assert list(study.mean_cross.index) == [TARGET, *sorted(task.proxies)]
    assert set(task.targets) and not set(task.targets) & set(study.mean_cross.index)


def test_predictor_families_come_from_the_registry():
    assert predictor_family("xgb") == "tree ensembles"
    assert predictor_family("xgb(encoding=graph_features)") == "tree ensembles"
    assert predictor_family("zc_xgb(zen,params,flops)") == "tree ensembles"
    assert predictor_family("ngb") == "tree ensembles"
    assert predictor_family("zc:zen") == "zero-cost proxies"
    assert predictor_family("sparse_gp") == "Gaussian processes"
    assert predictor_family("wl_gp") == "Gaussian processes"
    assert predictor_family("bananas") == "feed-forward networks"
    assert predictor_family("seminas") == "graph networks"
    assert predictor_family("omni") == "learning curves"
    with pytest.raises(UnknownNameError, match="unknown predictor 'nope'"):
        predictor_family("nope(encoding=x)")


def test_the_predictor_figure_has_a_panel_per_family_and_legends_outside():
    summary = pd.read_csv(ROOT / "tables" / "predictors" / "summary.csv")
    summary = summary.rename(columns={"mean_kendall": "mean", "std_kendall": "std"})
    summary["family"] = summary["predictor"].map(predictor_family)
    summary = summary.sort_values("family", key=lambda f: f.map(FAMILY_ORDER.index))
    fig = draw_metric_by_family(summary, title="t")
    families = list(dict.fromkeys(summary["family"]))
    # the five families, and "other" for the ensemble of predictors
    assert len(families) == 6 and families[-1] == "other" and len(fig.axes) == len(families)
    assert [ax.get_title() for ax in fig.axes] == families
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    for ax, family in zip(fig.axes, families, strict=True):
        assert ax.get_xscale() == "log"
        lines = ax.get_lines()
        names = sorted(summary.loc[summary["family"] == family, "predictor"].unique())
        assert [line.get_label() for line in lines] == names
        assert len({tuple(line.get_color()) for line in lines}) == len(lines)
        legend = ax.get_legend().get_window_extent(renderer)
        box = ax.get_window_extent(renderer)
        assert not legend.overlaps(box)


def test_a_thin_compare_subset_is_flagged(tmp_path):
    from types import SimpleNamespace

    from naspred.reports.compare import write_compare_tables

    src = ROOT / "tables" / "compare" / "last_layer_grad_norm"
    table = pd.read_csv(src / "compare.csv")

    def markdown(frame: pd.DataFrame, out: Path) -> str:
        result = SimpleNamespace(
            proxy="last_layer_grad_norm",
            table=frame,
            ranks=mean_ranks(frame),
            similarity=pd.read_csv(src / "similarity.csv", index_col=0),
            scores=pd.read_csv(src / "scores.csv"),
            failures=[],
            inputs={},
            files=[],
        )
        write_compare_tables(result, out, n_boot=1000, seed=0, batch_size=32)
        return (out / "compare.md").read_text()

    full = markdown(table, tmp_path / "full")
    # 60 archs; jacov, epe_nas and zen failed on 2 of them (Suite-Zero's -1e8)
    assert (table["n"].min(), table["n"].max()) == (58, 60) and "Warning" not in full
    assert "(n = 58-60 archs, 1000 resamples)" in full and "|      1 |" in full
    # one proxy left with 12 finite scores: the task's table is flagged
    thin = markdown(table.assign(n=table["n"].where(table["proxy"] != "zen", 12)), tmp_path / "t")
    assert (
        "**Warning: the arch subset (fewest finite scores) has 12 archs (fewer than 30).**" in thin
    )
    assert "(n = 12-60 archs, 1000 resamples)" in thin


def test_correlation_markdown_names_the_ground_truth_it_ranks_against():
    from naspred.benchmarks.task import Task
    from naspred.reports.correlations import _ground_truth

    base = Task(
        "nasbench201", "cifar10", ("a", "b", "c"), np.array([90.0, 80.0, 70.0]),
        targets={"edgegpu_latency": np.array([3.0, 2.0, 1.0]),
                 "pgd@Linf_eps-1.0": np.array([20.0, 30.0, 10.0])},
    )  # fmt: skip
    assert _ground_truth([base]) == "`val_accuracy`"
    latency = base.retarget("edgegpu_latency")
    assert _ground_truth([latency]) == (
        "`edgegpu_latency` (in `val_accuracy`'s place; a cost, negated: higher = better)"
    )
    assert _ground_truth([base.retarget("pgd@Linf_eps-1.0")]) == (
        "`pgd@Linf_eps-1.0` (in `val_accuracy`'s place)"
    )
    assert "each task's ground truth" in _ground_truth([base, latency])


def test_figures_name_what_a_retargeted_task_ranks_by(tmp_path, monkeypatch):
    # a retargeted task keeps the target itself among its targets: the ground truth in
    # val_accuracy's place is labelled apart from it, negated for a cost, never as
    # val_accuracy (which it no longer holds)
    import naspred.reports.correlations as report

    drawn = {}

    def spy(real):
        def draw(data, path, *, title, **kwargs):
            drawn[Path(path).name] = (data, title)
            return real(data, path, title=title, **kwargs)

        return draw

    monkeypatch.setattr(report, "triangle_heatmap", spy(report.triangle_heatmap))
    monkeypatch.setattr(report, "correlation_heatmap", spy(report.correlation_heatmap))
    [lc] = load_tasks(["nasbench201/cifar10-lc"])
    task = lc.subset(np.arange(200)).retarget("train_time")
    run_correlation_study([task], tmp_path, progress=False)
    label = "-train_time (ground truth)"
    _, title = drawn["spearman.png"]
    assert f"Spearman with {label}" in title and TARGET not in title
    for name in ("nasbench201__cifar10-lc@train_time.png", "heatmap_mean.png"):
        layout, title = drawn[name]
        names = [*layout.values.columns, *layout.values.index]
        assert names[0] == label and TARGET not in names, name
        assert TARGET not in title
    layout, _ = drawn["nasbench201__cifar10-lc@train_time.png"]
    # the target's own column, beside its negation in val_accuracy's place
    assert layout.values.loc["train_time", label] == pytest.approx(-1.0)
    # the figures' n are unchanged by the new label
    assert (layout.counts.loc["train_time", label]) == 200
    md = (tmp_path / "correlations.md").read_text()
    assert "Spearman with `train_time` (in `val_accuracy`'s place" in md


def test_the_search_curves_legend_lies_outside_the_data():
    from naspred.reports.figures import draw_search_curves

    curves = pd.read_csv(ROOT / "tables" / "nas_loop" / "nas_loop_curves.csv")
    fig = draw_search_curves(curves, title="t", optimum=91.57, skip_first=10)
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    [ax] = fig.axes
    methods = list(dict.fromkeys(curves["method"]))
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == [*methods, "best in benchmark"]
    legend = ax.get_legend().get_window_extent(renderer)
    assert not legend.overlaps(ax.get_window_extent(renderer))
