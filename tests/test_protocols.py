"""Cell protocols and presets: which archs a study counts, checked against the counts
and numbers the papers give."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from naspred.benchmarks import load_tasks
from naspred.benchmarks.protocols import PRESETS, get_preset, restrict_cells
from naspred.cli import app
from naspred.errors import InvalidInputError, UnknownNameError
from naspred.spaces import get_space


@pytest.fixture(scope="module")
def nb201(suite_zero_dir: Path):
    [task] = load_tasks(["nasbench201/cifar10"], suite_zero=suite_zero_dir)
    return task


def test_cell_counts_are_the_papers(nb201) -> None:
    assert len(restrict_cells(nb201, "all")) == 15625
    unique = restrict_cells(nb201, "unique")
    valid = restrict_cells(nb201, "valid")
    # NB201's 6,466 isomorphism classes (Dong & Yang), GRAF's 9,445 valid cells
    assert (len(unique), unique.name) == (6466, "nasbench201/cifar10-unique")
    assert (len(valid), valid.name) == (9445, "nasbench201/cifar10-valid")
    # one arch per class, each its class's canonical member (all are stored)
    space = get_space("nasbench201")
    archs = [space.from_key(k) for k in unique.keys]
    assert all(a.canonical() == a for a in archs)
    assert len({a.canonical() for a in archs}) == 6466
    # values stay aligned with their keys
    rows = nb201.index(valid.keys)
    np.testing.assert_array_equal(valid.val_accuracy, nb201.val_accuracy[rows])
    assert valid.digest() != nb201.digest()


def test_valid_cells_are_the_graf_release(nb201, shared_data: Path) -> None:
    [graf] = load_tasks(["nasbench201/cifar10-graf"], graf=shared_data / "graf")
    assert sorted(restrict_cells(nb201, "valid").keys) == sorted(graf.keys)


def test_bad_protocols(nb201, suite_zero_dir: Path) -> None:
    with pytest.raises(InvalidInputError, match="unknown cell protocol 'some'"):
        restrict_cells(nb201, "some")
    [nb101] = load_tasks(["nasbench101/cifar10"], suite_zero=suite_zero_dir)
    with pytest.raises(InvalidInputError, match="defined for nasbench201 only"):
        restrict_cells(nb101, "valid")
    assert len(restrict_cells(nb101, "unique")) <= len(nb101)
    with pytest.raises(UnknownNameError, match="known: suite-zero, graf"):
        get_preset("naslib")


def test_load_tasks_applies_the_protocol(suite_zero_dir: Path) -> None:
    tasks = load_tasks(["nasbench201/*"], suite_zero=suite_zero_dir, cells="valid")
    assert [(t.name, len(t)) for t in tasks] == [
        ("nasbench201/cifar10-valid", 9445),
        ("nasbench201/cifar100-valid", 9445),
    ]


def test_graf_preset_reproduces_the_public_proxies_on_valid_cells(
    shared_data: Path, tmp_path: Path
) -> None:
    # the Suite-Zero records restricted to GRAF's valid cells; GRAF's own release
    # (a different run of the noisy proxies) gives its published figures
    result = CliRunner().invoke(
        app,
        ["correlations", "--preset", "graf", "--graf-dir", str(shared_data / "graf"),
         "-t", "nasbench201/cifar10-graf", "--out", str(tmp_path), "--no-progress"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "correlations.csv").set_index("proxy")
    assert set(table["task"]) == {"nasbench201/cifar10-graf-valid"}
    expected = {"jacov": 0.818, "nwot": 0.792, "synflow": 0.732, "zen": 0.100, "plain": -0.367}
    for proxy, rho in expected.items():
        assert table.loc[proxy, "spearman"] == pytest.approx(rho, abs=5e-4), proxy
    assert (table["n"] + table["n_failed"] + table["n_nonfinite"] <= 9445).all()


def test_suite_zero_preset_ranks_failures_last(suite_zero_dir: Path, tmp_path: Path) -> None:
    preset = PRESETS["suite-zero"]
    assert (preset.cells, preset.failed_as_worst) == ("all", True)
    result = CliRunner().invoke(
        app,
        ["correlations", "--preset", "suite-zero", "--suite-zero-dir", str(suite_zero_dir),
         "-t", "nasbench201/cifar10", "--out", str(tmp_path), "--no-progress"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    zen = pd.read_csv(tmp_path / "correlations.csv").set_index("proxy").loc["zen"]
    assert zen["spearman"] == pytest.approx(0.354901, abs=1e-6) and zen["n"] == 15625


def test_a_preset_and_its_own_options_conflict(suite_zero_dir: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["correlations", "--preset", "graf", "--cells", "all", "--suite-zero-dir",
         str(suite_zero_dir), "--no-progress"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.output.startswith("error: --preset graf sets --cells valid")


def test_zero_cost_nas_preset_is_the_papers_protocol() -> None:
    preset = get_preset("zero-cost-nas")
    assert (preset.study, preset.cells, preset.target, preset.failed_as_worst) == (
        "correlations", "all", "test_accuracy", False
    )  # fmt: skip
    assert preset.test_size is None  # every cell counts: no sampled test set
    assert "nasbench2_pred.py" in preset.sources and "testacc" in preset.sources
    assert "0.737" in preset.reproduces and "test_accuracy" in preset.needs


def test_zero_cost_nas_preset_refuses_records_without_test_accuracy(
    suite_zero_dir: Path, tmp_path: Path
) -> None:
    # the shared Suite-Zero (and GRAF) records hold val_accuracy only: no silent fallback
    result = CliRunner().invoke(
        app,
        ["correlations", "--preset", "zero-cost-nas", "--suite-zero-dir", str(suite_zero_dir),
         "-t", "nasbench201/cifar10", "--out", str(tmp_path), "--no-progress"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.output.startswith(
        "error: --preset zero-cost-nas ranks against test_accuracy, which no chosen task holds"
    )
    assert "load_nats_bench" in result.output
    assert not (tmp_path / "correlations.csv").exists()


def test_zero_cost_nas_preset_ranks_against_test_accuracy(
    suite_zero_dir: Path, tmp_path: Path
) -> None:
    # Suite-Zero-layout records whose test_accuracy holds the shared val_accuracy and
    # whose val_accuracy is noise: the preset must rank against the former
    records = json.loads((suite_zero_dir / "zc_nasbench201.json").read_text())
    rng = np.random.default_rng(0)
    cifar10 = {
        key: {
            "synflow": rec["synflow"],
            "val_accuracy": float(rng.uniform(10, 90)),
            "test_accuracy": rec["val_accuracy"],
        }
        for key, rec in records["nasbench201"]["cifar10"].items()
        if "synflow" in rec
    }
    data = tmp_path / "records"
    data.mkdir()
    (data / "zc_nasbench201.json").write_text(json.dumps({"nasbench201": {"cifar10": cifar10}}))
    result = CliRunner().invoke(
        app,
        ["correlations", "--preset", "zero-cost-nas", "--suite-zero-dir", str(data),
         "--out", str(tmp_path / "out"), "--no-progress"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    synflow = pd.read_csv(tmp_path / "out" / "correlations.csv").set_index("proxy").loc["synflow"]
    # synflow against the shared val_accuracy on its 491 archs (README: 0.737 vs the
    # paper's 0.737 on all 15,625 cells against test accuracy)
    assert synflow["task"] == "nasbench201/cifar10@test_accuracy"
    assert synflow["spearman"] == pytest.approx(0.737472, abs=1e-6) and synflow["n"] == 491


def test_naslib_predictors_preset_is_naslibs_protocol() -> None:
    preset = get_preset("naslib-predictors")
    assert (preset.study, preset.cells, preset.target, preset.test_size) == (
        "predictors", "all", "val_accuracy", 200
    )  # fmt: skip
    assert preset.train_sizes == (5, 8, 14, 24, 42, 71, 121, 205, 347, 589, 1000)
    assert preset.seeds == tuple(range(100))
    assert "predictor_evaluator.py" in preset.sources and "run_nb201.sh" in preset.sources


def test_naslib_predictors_preset_runs_the_predictor_study(
    suite_zero_dir: Path, tmp_path: Path
) -> None:
    # two of NASLib's sizes, three of its seeds: the README's cheap run
    result = CliRunner().invoke(
        app,
        ["predictors", "--preset", "naslib-predictors", "--suite-zero-dir", str(suite_zero_dir),
         "-t", "nasbench201/cifar10", "-p", "xgb", "--train-sizes", "14,205", "--seeds", "0-2",
         "--store", str(tmp_path / "store.jsonl"), "--out", str(tmp_path), "--no-progress"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    cells = pd.read_csv(tmp_path / "predictors.csv")
    assert set(cells["test_size"]) == {200} and set(cells["n"]) == {200}
    assert sorted(set(cells["train_size"])) == [14, 205] and sorted(set(cells["seed"])) == [0, 1, 2]
    summary = pd.read_csv(tmp_path / "summary.csv").set_index("train_size")
    assert summary.loc[205, "mean_kendall"] == pytest.approx(0.577444, abs=1e-6)
    assert summary.loc[14, "mean_kendall"] == pytest.approx(0.168598, abs=1e-6)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["predictors", "--preset", "naslib-predictors", "--test-size", "100", "-p", "xgb"],
         "error: --preset naslib-predictors sets --test-size 200"),
        (["predictors", "--preset", "graf", "-p", "xgb"],
         "error: --preset graf is a protocol of `naspred correlations`, not of `naspred "
         "predictors`"),
        (["correlations", "--preset", "naslib-predictors"],
         "error: --preset naslib-predictors is a protocol of `naspred predictors`"),
        (["predictors", "--preset", "naslib-predictors", "--cells", "valid", "-p", "xgb"],
         "error: --preset naslib-predictors sets --cells all"),
    ],
)  # fmt: skip
def test_presets_refuse_other_studies_and_their_own_options(
    args: list[str], message: str, suite_zero_dir: Path
) -> None:
    result = CliRunner().invoke(app, [*args, "--suite-zero-dir", str(suite_zero_dir)])
    assert result.exit_code == 2
    assert result.output.startswith(message)


def test_nearest_zero_cost_nas_protocol_on_the_shared_records(
    suite_zero_dir: Path, tmp_path: Path
) -> None:
    # the README's numbers beside the paper's: all cells, failures left out, but
    # val_accuracy (the records hold no test accuracy) on the 491 scored archs
    result = CliRunner().invoke(
        app,
        ["correlations", "--cells", "all", "--failed-left-out", "--suite-zero-dir",
         str(suite_zero_dir), "-t", "nasbench201/cifar10,nasbench201/cifar100",
         "--out", str(tmp_path), "--no-progress"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "correlations.csv").set_index(["task", "proxy"])["spearman"]
    readme = {
        ("nasbench201/cifar10", "synflow"): 0.737,
        ("nasbench201/cifar100", "synflow"): 0.757,
        ("nasbench201/cifar10", "jacov"): 0.736,
        ("nasbench201/cifar100", "jacov"): 0.722,
    }
    for cell, rho in readme.items():
        assert table[cell] == pytest.approx(rho, abs=5e-4), cell
