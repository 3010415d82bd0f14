"""The analyses study: arch properties from the DAG view, binned mutual information,
params/FLOPs-corrected proxies, and ``naspred analyse`` end to end."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.metrics import mutual_info_score
from typer.testing import CliRunner

from naspred.benchmarks import load_tasks
from naspred.benchmarks.task import Task
from naspred.cli import app
from naspred.errors import InvalidInputError, UnknownNameError
from naspred.experiments.analyses import (
    arch_properties,
    bias_corrected,
    dag_properties,
    default_bins,
    equal_frequency_bins,
    information_matrix,
    joint_codes,
    load_compare_tasks,
    mutual_information,
    run_analyses,
)
from naspred.metrics import spearman
from naspred.spaces.nasbench201 import NasBench201Arch

torch.set_num_threads(1)
runner = CliRunner()
LC = "nasbench201/cifar10-lc"


@pytest.fixture(scope="module")
def lc_task() -> Task:
    return load_tasks([LC])[0]


# ---- information -------------------------------------------------------------------


def test_mutual_information_equals_sklearn_on_a_small_case() -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 4, size=200)
    y = (x + rng.integers(0, 2, size=200)) % 5  # depends on x, not a copy
    z = rng.integers(0, 3, size=200)
    assert mutual_information(x, y) == pytest.approx(mutual_info_score(x, y), abs=1e-12)
    assert mutual_information(y, z) == pytest.approx(mutual_info_score(y, z), abs=1e-12)
    # the pair term: the joint of two codes is one variable
    pair = [f"{a},{b}" for a, b in zip(x, z, strict=True)]
    assert mutual_information(y, joint_codes(x, z)) == pytest.approx(
        mutual_info_score(y, pair), abs=1e-12
    )
    assert mutual_information(y, joint_codes(x, z)) >= mutual_information(y, x) - 1e-12


def test_mutual_information_by_hand() -> None:
    # H(x) = 2 ln2 - 3/4 ln3, H(y) = ln2, H(x, y) = 3/2 ln2: I = 3/2 ln2 - 3/4 ln3
    x, y = np.array([0, 0, 0, 1]), np.array([0, 0, 1, 1])
    assert mutual_information(x, y) == pytest.approx(1.5 * math.log(2) - 0.75 * math.log(3))
    assert mutual_information(y, y) == pytest.approx(math.log(2))
    assert mutual_information(np.array([0, 1, 0, 1]), y) == pytest.approx(0.0, abs=1e-15)


def test_equal_frequency_bins_hold_equal_counts_and_keep_ties_together() -> None:
    rng = np.random.default_rng(1)
    values = rng.lognormal(size=100)  # skewed: equal-width bins would be very unequal
    codes = equal_frequency_bins(values, 10)
    assert np.bincount(codes).tolist() == [10] * 10
    # the bins follow the order of the values
    order = np.argsort(values)
    assert np.all(np.diff(codes[order]) >= 0)
    assert sorted(set(np.bincount(equal_frequency_bins(rng.normal(size=103), 10)))) == [10, 11]
    tied = np.array([1.0] * 6 + [2.0, 3.0, 4.0, 5.0])
    codes = equal_frequency_bins(tied, 5)
    assert len(set(codes[:6])) == 1  # one value, one bin
    assert codes.tolist() == [1] * 6 + [3, 3, 4, 4]
    with pytest.raises(InvalidInputError, match="NaN/inf"):
        equal_frequency_bins(np.array([1.0, np.nan]), 2)


def test_default_bins_keep_five_archs_per_cell_of_the_pair_table() -> None:
    assert default_bins(491) == 4  # 4^3 * 5 = 320 <= 491 < 5^3 * 5
    assert default_bins(625) == 5 and default_bins(624) == 4
    assert default_bins(15625) == 14
    assert default_bins(3) == 2


def test_information_matrix_leaves_failures_out_pairwise(lc_task: Task) -> None:
    task = lc_task
    nonfinite = ~np.isfinite(task.proxies["jacov"])
    assert nonfinite.sum() == 5  # the embedded task's five NaN jacov scores
    info = information_matrix(task, ["jacov", "synflow"], bins=5)
    assert info.n.at["jacov", "jacov"] == 995 and info.n.at["synflow", "synflow"] == 1000
    assert info.n.at["jacov", "synflow"] == 995
    rows = np.flatnonzero(~nonfinite)
    y = equal_frequency_bins(task.val_accuracy[rows], 5)
    xj = equal_frequency_bins(task.proxies["jacov"][rows], 5)
    xs = equal_frequency_bins(task.proxies["synflow"][rows], 5)
    assert info.mi.at["jacov", "jacov"] == pytest.approx(mutual_info_score(y, xj))
    pair = [f"{a},{b}" for a, b in zip(xj, xs, strict=True)]
    assert info.mi.at["jacov", "synflow"] == pytest.approx(mutual_info_score(y, pair))
    assert info.h_acc == pytest.approx(math.log(5), abs=1e-3)  # 5 equal bins of accuracy
    # permuted accuracy carries next to nothing
    assert info.shuffled.at["jacov", "jacov"] < 0.25 * info.mi.at["jacov", "jacov"]


# ---- properties --------------------------------------------------------------------


def _props(arch: str) -> dict[str, int]:
    dag = NasBench201Arch.from_key(arch).to_dag()
    return dag_properties(dag.adjacency, dag.ops)


def test_property_counts_of_hand_checked_nb201_cells() -> None:
    # node 1 -> 2 -> 3 -> 4 all convs: depth 3; the edges out of node 1 share level 1
    best = (
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|"
        "+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
    )
    assert _props(best) == {"n_conv": 5, "n_pool": 0, "n_skip": 1, "depth": 3, "width": 3}
    # 1 -> 2 pool, 2 -> 3 pool, 3 -> 4 skip: one chain of three ops
    chain = "|avg_pool_3x3~0|+|none~0|avg_pool_3x3~1|+|none~0|none~1|skip_connect~2|"
    assert _props(chain) == {"n_conv": 0, "n_pool": 2, "n_skip": 1, "depth": 3, "width": 1}
    # both convs are dead (node 3 reaches the output only by none): counted, not live
    dead = "|none~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|skip_connect~0|none~1|none~2|"
    assert _props(dead) == {"n_conv": 2, "n_pool": 0, "n_skip": 1, "depth": 1, "width": 1}
    empty = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"
    assert _props(empty) == {"n_conv": 0, "n_pool": 0, "n_skip": 0, "depth": 0, "width": 0}


def test_arch_properties_of_a_task_and_a_space_without_a_dag(lc_task: Task) -> None:
    sub = lc_task.subset(np.arange(5))
    props = arch_properties(sub)
    assert list(props.columns) == [
        "params",
        "flops",
        "n_conv",
        "n_pool",
        "n_skip",
        "depth",
        "width",
    ]
    # the stored params: those of the smaller network the embedded task trained
    assert props["params"].to_numpy() == pytest.approx(sub.proxies["params"], rel=1e-3)
    foreign = Task("my_space", "cifar10", ("a", "b"), np.array([1.0, 2.0]))
    with pytest.raises(InvalidInputError, match="no arch type for space 'my_space'"):
        arch_properties(foreign)


# ---- bias correction ---------------------------------------------------------------


def test_bias_correction_removes_the_params_correlation(lc_task: Task) -> None:
    task = lc_task
    props = arch_properties(task)
    rng = np.random.default_rng(0)
    params = props["params"].to_numpy()
    # a proxy that is params, plus noise, plus a little accuracy
    size = (np.log(params) - np.log(params).mean()) / np.log(params).std()
    acc = (task.val_accuracy - task.val_accuracy.mean()) / task.val_accuracy.std()
    fake = size + 0.3 * rng.normal(size=len(task)) + 0.1 * acc
    task = task.with_proxies({"fake": fake})
    table = bias_corrected(task, props, ["fake", "params"]).set_index("proxy")
    row = table.loc["fake"]
    assert row["spearman_params_before"] > 0.8
    assert abs(row["spearman_params_after"]) < 0.05
    assert abs(row["spearman_flops_after"]) < 0.1
    assert row["r2_size"] > 0.6
    assert row["n"] == len(task)
    # params explains params whole: nothing left to correlate
    assert table.loc["params", "r2_size"] == pytest.approx(1.0)
    assert np.isnan(table.loc["params", "spearman_after"])


# ---- the study and the command -----------------------------------------------------


def test_analyse_end_to_end_on_the_embedded_task(lc_task: Task, tmp_path: Path) -> None:
    out = tmp_path / "an"
    result = runner.invoke(app, ["analyse", "-t", LC, "--out", str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    where = out / "nasbench201__cifar10-lc"
    for name in (
        "analyses.md",
        "bias.csv",
        "information.csv",
        "corrected.csv",
        "information_bins.csv",
    ):
        assert (out / name).is_file() and (where / name).is_file(), name
    for name in ("bias.png", "information.png"):
        assert (where / name).stat().st_size > 10_000, name
    bias = pd.read_csv(where / "bias.csv").set_index("variable")
    assert bias.index[0] == "val_accuracy"
    props = arch_properties(lc_task)
    assert bias.at["val_accuracy", "n_conv"] == pytest.approx(
        spearman(lc_task.val_accuracy, props["n_conv"].to_numpy()), abs=1e-5
    )
    # the live scores record jacov's five dead cells as failures (tests/test_live_scores.py)
    assert bias.at["jacov", "n_failed"] == 5 and bias.at["jacov", "n_nonfinite"] == 0
    assert bias.at["jacov", "n"] == 995
    info = pd.read_csv(where / "information.csv")
    assert set(info["bins"]) == {default_bins(995)}
    diag = info[info["proxy_i"] == info["proxy_j"]].set_index("proxy_i")
    k = default_bins(995)
    y = equal_frequency_bins(lc_task.val_accuracy, k)
    x = equal_frequency_bins(lc_task.proxies["synflow"], k)
    assert diag.at["synflow", "mi"] == pytest.approx(mutual_info_score(y, x), abs=1e-5)
    corrected = pd.read_csv(where / "corrected.csv").set_index("proxy")
    assert corrected.at["synflow", "spearman_before"] == pytest.approx(
        spearman(lc_task.val_accuracy, lc_task.proxies["synflow"]), abs=1e-5
    )
    sens = pd.read_csv(where / "information_bins.csv").set_index("bins")
    assert list(sens.index) == sorted({k - 1, k, k + 1, 2 * k})
    assert sens.at[k, "mi_single"] == pytest.approx(diag["mi"].max(), abs=1e-5)
    md = (out / "analyses.md").read_text()
    assert "## Summary" in md and "equal-frequency" in md and str(tmp_path) not in md


def test_unknown_task_and_proxy_are_clear_errors(lc_task: Task, tmp_path: Path) -> None:
    result = runner.invoke(app, ["analyse", "-t", "nope/x", "--out", str(tmp_path / "a")])
    assert result.exit_code == 2 and "no task matches 'nope/x'" in result.output
    result = runner.invoke(app, ["analyse", "-t", LC, "-P", "bogus", "--out", str(tmp_path / "b")])
    assert result.exit_code == 2
    assert "no chosen task holds proxy 'bogus'" in result.output and "synflow" in result.output
    with pytest.raises(UnknownNameError, match="bogus"):
        run_analyses([lc_task], tmp_path / "c", proxies=["bogus"], progress=False)
    result = runner.invoke(
        app, ["analyse", "--compare", str(tmp_path), "--out", str(tmp_path / "d")]
    )
    assert result.exit_code == 2 and "no scores.csv" in result.output


def test_a_compare_output_is_analysed_with_its_failures_counted(tmp_path: Path) -> None:
    keys = [
        NasBench201Arch(tuple(int(i) for i in np.random.default_rng(s).integers(0, 5, 6))).to_key()
        for s in range(40)
    ]
    keys = list(dict.fromkeys(keys))
    n = len(keys)
    rng = np.random.default_rng(2)
    mine = rng.normal(size=n)
    mine[:3] = np.nan  # the new proxy failed on three archs (failures.csv)
    base = rng.normal(size=n)
    base[3] = np.nan  # a stored baseline's NaN
    scores = pd.DataFrame(
        {"task": "nasbench201/cifar10", "arch": keys, "val_accuracy": rng.uniform(80, 94, n),
         "mine": mine, "synflow": base, "params (live)": rng.normal(size=n)}
    )  # fmt: skip
    scores.to_csv(tmp_path / "scores.csv", index=False)
    # as compare names them: the new proxy by its name, a live baseline by its own
    pd.DataFrame(
        {
            "proxy": ["mine"] * 3 + ["params"],
            "arch": keys[:4],
            "index": [0, 1, 2, 3],
            "error": "ValueError: boom",
        }
    ).to_csv(tmp_path / "failures.csv", index=False)
    (tmp_path / "scores.journal.jsonl").write_text("")
    (task,) = load_compare_tasks(tmp_path / "scores.journal.jsonl")
    assert task.name == "nasbench201/cifar10" and len(task) == n
    assert task.failed("mine").sum() == 3 and task.failed("synflow").sum() == 0
    assert task.failed("params (live)").tolist() == [False] * 3 + [True] + [False] * (n - 4)
    out = tmp_path / "an"
    result = runner.invoke(
        app, ["analyse", "--compare", str(tmp_path), "--out", str(out), "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    bias = pd.read_csv(out / "nasbench201__cifar10" / "bias.csv").set_index("variable")
    assert bias.at["mine", "n_failed"] == 3 and bias.at["mine", "n"] == n - 3
    assert bias.at["synflow", "n_nonfinite"] == 1 and bias.at["synflow", "n_failed"] == 0
    assert "params (live)" in bias.index


def test_imagenet_task_names_keep_their_dataset(tmp_path: Path) -> None:
    key = NasBench201Arch((2, 2, 2, 2, 2, 2)).to_key()
    pd.DataFrame(
        {
            "task": ["nasbench201/ImageNet16-120-lc@train_time"],
            "arch": [key],
            "val_accuracy": [1.0],
            "p": [0.5],
        }
    ).to_csv(tmp_path / "scores.csv", index=False)
    (task,) = load_compare_tasks(tmp_path)
    assert (task.dataset, task.variant, task.main_target) == ("ImageNet16-120", "lc", "train_time")
    assert replace(task).name == "nasbench201/ImageNet16-120-lc@train_time"


def test_grafs_valid_cells_have_a_live_path_and_bins_can_be_set(
    shared_data: Path, tmp_path: Path
) -> None:
    graf = shared_data / "graf"
    if not (graf / "nb201_valid_nets.csv").is_file():
        pytest.skip(f"GRAF release not found at {graf}")
    (task,) = load_tasks(["nasbench201/cifar10-graf"], graf=graf, cells="valid")
    assert task.name == "nasbench201/cifar10-graf-valid"
    sub = task.subset(np.arange(300))
    props = arch_properties(sub)
    # a valid cell has no unreachable op, so some op path joins input and output
    assert (props["depth"] >= 1).all() and (props["width"] >= 1).all()
    study = run_analyses(
        [sub], tmp_path / "g", proxies=["jacov", "synflow"], bins=3, progress=False
    )
    info = study.information[sub.name]
    assert info.bins == 3 and info.h_acc == pytest.approx(math.log(3), abs=1e-3)
    assert list(study.bias[sub.name].index) == ["val_accuracy", "jacov", "synflow"]
