"""The init-vs-query trade-off study: costs, best-per-budget choice, tables, resume."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from naspred.benchmarks import load_suite_zero
from naspred.experiments.predictors import PredictorSpec
from naspred.experiments.tradeoff import (
    best_per_budget,
    check_curve_task,
    default_budgets,
    default_query_epochs,
    kendall_by_epochs,
    run_tradeoff_study,
    summarise_configs,
    synthetic_curve_task,
    write_tradeoff_tables,
)
from naspred.journal import Journal


def test_best_per_budget_picks_the_best_affordable_configuration():
    configs = pd.DataFrame(
        {
            "predictor": ["xgb", "xgb", "lce", "lcsvr", "zc(proxy=jacov)"],
            "train_size": [10, 100, 0, 100, 0],
            "epochs": [0, 0, 4, 4, 0],
            "kendall": [0.3, 0.6, 0.5, 0.8, 0.2],
            "kendall_std": [0.01, 0.02, 0.03, 0.04, np.nan],
            # recorded costs (training times, stored proxy times): they decide
            "init_data_s": [100.0, 1000.0, 0.0, 1000.0, 0.0],
            "query_data_s": [0.0, 0.0, 40.0, 40.0, 0.5],
            # with measured fit/query times, which vary with the load: shown, never used
            # (with them, lce would not fit an init budget of 0 and xgb no query budget 0)
            "init_s": [100.2, 1000.9, 3.0, 1001.0, 0.0],
            "query_arch_s": [1e-4, 1e-4, 40.001, 40.002, 0.5001],
        }
    )
    grid = best_per_budget(configs, [0.0, 100.0, 1000.0], [0.0, 1.0, 40.0])
    best = grid.set_index(["init_budget_s", "query_budget_s"])["best"]
    assert best[(0.0, 0.0)] is None  # everything costs something
    assert best[(0.0, 1.0)] == "zc(proxy=jacov)"
    assert best[(0.0, 40.0)] == "lce"
    assert best[(100.0, 0.0)] == "xgb"
    assert best[(100.0, 40.0)] == "lce"  # 0.5 > xgb's 0.3 with 10 archs
    assert best[(1000.0, 1.0)] == "xgb"
    row = grid.set_index(["init_budget_s", "query_budget_s"]).loc[(1000.0, 40.0)]
    assert (row["best"], row["train_size"], row["epochs"]) == ("lcsvr", 100, 4)
    assert (row["init_data_s"], row["query_data_s"]) == (1000.0, 40.0)
    assert (row["init_s"], row["query_arch_s"]) == (1001.0, 40.002)  # listed beside
    assert row["runner_up"] == "xgb" and row["runner_up_kendall"] == pytest.approx(0.6)
    assert row["candidates"] == 5
    # the measured times could be anything: the grid is the same
    jittered = configs.assign(init_s=configs["init_s"] * 7.0, query_arch_s=1e3)
    pd.testing.assert_frame_equal(
        best_per_budget(jittered, [0.0, 100.0, 1000.0], [0.0, 1.0, 40.0]).drop(
            columns=["init_s", "query_arch_s"]
        ),
        grid.drop(columns=["init_s", "query_arch_s"]),
    )
    # budget axes: the dearest "free" cost first, then one budget per cost level
    axis = default_budgets(configs["init_s"], pd.Series([90, 900, 0, 900, 0]))
    np.testing.assert_allclose(axis, [3.0, 100.2, 1001.0])
    axis = default_budgets(configs["init_data_s"], configs["init_data_s"])
    np.testing.assert_allclose(axis, [0.0, 100.0, 1000.0])
    axis = default_budgets(pd.Series([0.0, 10.0, 1000.0]), pd.Series([0, 5, 900]))
    np.testing.assert_allclose(axis, [0.0, 10.0, 1000.0])
    # costs within a factor 1.5 of a level's cheapest share it, at the dearest of them
    costs = pd.Series([0.002, 0.04, 0.05, 3.2, 3.3, 6.4, 6.9, 12.8, 25.0])
    axis = default_budgets(costs, costs.where(costs > 0.01, 0.0))
    np.testing.assert_allclose(axis, [0.002, 0.05, 3.3, 6.9, 12.8, 25.0])
    with pytest.raises(ValueError, match="merge"):
        default_budgets(costs, costs, merge=0.5)
    by_epochs = kendall_by_epochs(configs)
    assert list(by_epochs.columns) == ["e=0", "e=4"]
    assert by_epochs.loc["xgb", "e=0"] == 0.6  # its best size, n=100
    assert by_epochs.loc["lcsvr", "e=4"] == 0.8 and np.isnan(by_epochs.loc["lcsvr", "e=0"])
    assert default_query_epochs(20) == (1, 2, 4, 8, 16)
    assert default_query_epochs(8) == (1, 2, 4)


@pytest.fixture(scope="module")
def small_task(suite_zero_dir):
    """300 NAS-Bench-201 CIFAR-10 archs with stored jacov and 8 epochs of synthetic curves."""
    [task] = [
        t for t in load_suite_zero(suite_zero_dir / "zc_nasbench201.json") if t.dataset == "cifar10"
    ]
    rows = np.flatnonzero(task.has_proxy("jacov") & np.isfinite(task.proxies["jacov"]))[:300]
    return synthetic_curve_task(task.subset(rows), n_epochs=8, seed=1)


SPECS = [
    PredictorSpec("xgb", {"n_estimators": 40}),
    PredictorSpec("early_stopping"),
    PredictorSpec("sotl_e"),
    PredictorSpec("lce"),
    PredictorSpec("lcsvr", {"tune_trials": 2}),
    PredictorSpec("omni", {"n_estimators": 30}),
    PredictorSpec("zc", {"proxy": "jacov"}),
]


def _run(task, store):
    return run_tradeoff_study(
        task,
        SPECS,
        store,
        train_sizes=(20, 60),
        query_epochs=(1, 3),
        seeds=(0,),
        test_size=100,
        progress=False,
    )


def test_tradeoff_study_end_to_end_and_resume(small_task, tmp_path):
    task = small_task
    path = tmp_path / "store.jsonl"
    results = _run(task, path)
    # xgb 2 sizes; 3 curve predictors x 2 epochs; lcsvr and omni 2 x 2; zc 1
    assert len(results) == 2 + 6 + 4 + 4 + 1
    assert (results["status"] == "ok").all(), results.get("error")
    by = results.set_index(["predictor", "train_size", "epochs"])
    # costs: a training set is charged its full recorded training time, a query its
    # partial training (mean over the test archs) plus the measured times
    full = np.nansum(task.curves["epoch_time"], axis=1)
    xgb = by.loc[("xgb(n_estimators=40)", 60, 0)]
    assert xgb["init_data_s"] > 20 * full.min() and xgb["init_data_s"] < 60 * full.max()
    assert xgb["init_s"] == pytest.approx(xgb["init_data_s"] + xgb["fit_s"])
    assert xgb["query_data_s"] == 0.0
    es = by.loc[("early_stopping", 0, 3)]
    assert es["init_data_s"] == 0.0
    epoch = task.curves["epoch_time"]
    assert 3 * epoch.min() < es["query_data_s"] < 3 * epoch.max()
    # the stored jacov has no recorded compute time: charged 0 and flagged
    assert by.loc[("zc(proxy=jacov)", 0, 0), "query_data_s"] == 0.0
    assert bool(by.loc[("zc(proxy=jacov)", 0, 0), "proxy_time_unknown"])
    # curve predictors need no training set, and more epochs rank better here
    assert by.loc[("lce", 0, 3), "kendall"] > by.loc[("lce", 0, 1), "kendall"]
    assert by.loc[("lcsvr(tune_trials=2)", 60, 3), "kendall"] > 0.4

    files = write_tradeoff_tables(task, results, tmp_path / "tables")
    names = {f.name for f in files}
    assert names == {
        "units.csv",
        "configs.csv",
        "tradeoff.csv",
        "tradeoff.md",
        "tradeoff_nasbench201__cifar10.png",
    }
    grid = pd.read_csv(tmp_path / "tables" / "tradeoff.csv")
    # a column per training-set size (20, 60) after the free one (0 s); a row per
    # epoch count (1, 3) after the free one (the zero-cost proxies, charged 0 s here)
    assert grid["init_budget_s"].nunique() == 3 and grid["query_budget_s"].nunique() == 3
    assert grid["init_budget_s"].min() == 0.0 and grid["query_budget_s"].min() == 0.0
    configs = summarise_configs(results)
    # the budgets are recorded costs: the recorded epoch times of the archs trained
    # (the same for every predictor of a size), never the measured fit/query times
    paid = configs[configs["query_data_s"] > 0].groupby("epochs")["query_data_s"].max()
    np.testing.assert_allclose(sorted(grid["query_budget_s"].unique())[1:], sorted(paid), rtol=1e-5)
    sizes = configs[configs["init_data_s"] > 0].groupby("train_size")["init_data_s"]
    assert (sizes.max() == sizes.min()).all()
    np.testing.assert_allclose(sorted(grid["init_budget_s"].unique())[1:], sizes.max(), rtol=1e-5)
    for _, row in grid.dropna(subset=["best"]).iterrows():
        # tradeoff.csv keeps 6 significant digits: compare at that precision
        fits = configs[
            (configs["init_data_s"] <= row["init_budget_s"] * (1 + 1e-5))
            & (configs["query_data_s"] <= row["query_budget_s"] * (1 + 1e-5))
        ]
        assert row["kendall"] == pytest.approx(fits["kendall"].max(), rel=1e-5)
    # a rerun with other measured fit/query times (a loaded machine) gives the same grid
    slow = results.assign(init_s=results["init_s"] * 3.0, query_arch_s=results["query_arch_s"] + 1)
    write_tradeoff_tables(task, slow, tmp_path / "slow")
    again_grid = pd.read_csv(tmp_path / "slow" / "tradeoff.csv")
    decided = ["init_budget_s", "query_budget_s", "candidates", "best", "kendall"]
    pd.testing.assert_frame_equal(again_grid[decided], grid[decided])
    # the cheapest cell in both budgets admits no training set and no partial training
    cheap = grid[(grid["init_budget_s"] == grid["init_budget_s"].min())]
    assert set(cheap["train_size"].dropna()) <= {0}
    md = (tmp_path / "tables" / "tradeoff.md").read_text()
    assert "Initialisation vs query budget: nasbench201/cifar10" in md
    assert "## Kendall tau by epochs of partial training" in md
    assert "charged 0 s" in md and "tradeoff_nasbench201__cifar10.png" in md

    # resume: a rerun computes nothing; a store cut short recomputes only what is missing
    lines = path.read_text().splitlines()
    again = _run(task, path)
    assert path.read_text().splitlines() == lines
    assert len(again) == len(results)
    path.write_text("\n".join(lines[:-3]) + "\n" + lines[-3][:20])  # killed mid-line
    redone = _run(task, Journal(path))
    assert len(path.read_text().splitlines()) == len(lines)
    merged = redone.set_index("unit")["kendall"].sort_index()
    np.testing.assert_allclose(merged, results.set_index("unit")["kendall"].sort_index())

    # the benchmark file grew (or changed): its units are run afresh, never read back
    grown = task.subset(np.arange(len(task) - 30))
    fresh = run_tradeoff_study(
        grown, SPECS[1:2], path, query_epochs=(1, 3), seeds=(0,), test_size=100, progress=False
    )
    assert len(fresh) == 2 and fresh["data"].nunique() == 1
    assert fresh["data"].iloc[0] != results["data"].iloc[0]
    assert set(fresh["unit"]).isdisjoint(results["unit"])
    assert len(path.read_text().splitlines()) == len(lines) + 2


def test_study_refuses_a_task_without_epoch_times(small_task, tmp_path):
    bare = small_task.subset(np.arange(len(small_task)))
    object.__setattr__(bare, "curves", {"val_accuracy": small_task.curves["val_accuracy"]})
    with pytest.raises(ValueError, match="no per-epoch training times"):
        check_curve_task(bare)
    with pytest.raises(ValueError, match="outside 1..8"):
        run_tradeoff_study(small_task, SPECS[:1], tmp_path / "s.jsonl", query_epochs=(9,))


def test_the_sweep_follows_needs_not_argument_names(small_task, tmp_path):
    """The MLP's ``epochs`` is its own training length, not a partial learning curve:
    it is never swept over query epochs or charged partial training."""
    from naspred.experiments.tradeoff import _plan
    from naspred.predictors.spec import parse_spec

    mlp = _plan(small_task, parse_spec("mlp"), (20, 60), (1, 3))
    assert mlp.epochs == (None,) and mlp.sizes == (20, 60) and mlp.curve_metrics == ()
    omni = _plan(small_task, parse_spec("omni"), (20, 60), (1, 3))
    assert omni.epochs == (1, 3)  # reads `epochs` of partial curve: swept
    fixed = _plan(small_task, parse_spec("sotl_e:epochs=2"), (20,), (1, 3))
    assert fixed.epochs == (None,) and fixed.sizes == (0,)  # fixed in the spec; no training set
    results = run_tradeoff_study(
        small_task,
        [parse_spec("mlp:epochs=20,num_layers=2,layer_width=16")],
        tmp_path / "store.jsonl",
        train_sizes=(20,),
        query_epochs=(1, 3),
        seeds=(0,),
        test_size=100,
        progress=False,
    )
    assert len(results) == 1 and (results["status"] == "ok").all(), results.get("error")
    row = results.iloc[0]
    assert row["epochs"] == 0 and row["query_data_s"] == 0.0
    assert row["predictor"] == "mlp(epochs=20,layer_width=16,num_layers=2)"
