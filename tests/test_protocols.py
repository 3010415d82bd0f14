"""Cell protocols and presets: which archs a study counts, checked against the counts
and numbers the papers give."""

from __future__ import annotations

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
