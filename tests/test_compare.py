"""``naspred compare``: bootstrap correlations and the end-to-end comparison."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from naspred.benchmarks.suite_zero import load_suite_zero
from naspred.cli import app
from naspred.experiments.compare import (
    ProxySpecError,
    arch_subset,
    bootstrap_indices,
    bootstrap_kendall,
    bootstrap_spearman,
    correlation_table,
    resolve_proxy,
)
from naspred.metrics import best_arch_rank, kendall, pairwise_accuracy, spearman

torch.set_num_threads(1)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "docs" / "examples" / "my_proxy.py"


@pytest.fixture(scope="module")
def nb201_cifar10(suite_zero_dir: Path):
    path = suite_zero_dir / "zc_nasbench201.json"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return {t.dataset: t for t in load_suite_zero(path)}["cifar10"]


def test_vectorised_bootstrap_equals_the_metrics_on_each_resample() -> None:
    rng = np.random.default_rng(0)
    truth = rng.normal(size=25)
    pred = truth + rng.normal(size=25)
    pred[[3, 7]] = np.nan  # dropped pairwise, as the metrics do
    truth[5] = np.inf
    pred[10] = pred[11]  # a tie
    idx = bootstrap_indices(25, 6, seed=1)
    idx[0] = np.arange(25)  # the identity resample gives the point estimate
    rho = bootstrap_spearman(truth, pred, idx)
    tau = bootstrap_kendall(truth, pred, idx)
    for b in range(6):
        assert rho[b] == pytest.approx(spearman(truth[idx[b]], pred[idx[b]]), abs=1e-12)
        assert tau[b] == pytest.approx(kendall(truth[idx[b]], pred[idx[b]]), abs=1e-6)
    assert rho[0] == pytest.approx(spearman(truth, pred))


def test_bootstrap_ci_covers_the_estimate_and_narrows_with_more_archs(nb201_cifar10) -> None:
    task = nb201_cifar10
    # the archs with a jacov score (its 7 Suite-Zero failures are not scores)
    rows = np.flatnonzero(task.has_proxy("snip") & ~task.failed("jacov"))
    widths = {}
    for n in (30, 300):
        sub = rows[np.sort(np.random.default_rng(0).choice(rows.size, n, replace=False))]
        columns = {"jacov": task.proxies["jacov"][sub], "params": task.proxies["params"][sub]}
        truth = task.val_accuracy[sub]
        table = correlation_table(truth, columns, "jacov", n_boot=200, seed=0).set_index("proxy")
        for name in columns:
            row = table.loc[name]
            assert row["spearman_lo"] <= row["spearman"] <= row["spearman_hi"], (n, name)
            assert row["kendall_lo"] <= row["kendall"] <= row["kendall_hi"], (n, name)
            assert row["n"] == n
            # the ranking metrics beside the correlations, as the metrics module gives them
            col = columns[name]
            assert row["pairwise_acc"] == pytest.approx(pairwise_accuracy(truth, col))
            assert row["best_rank"] == best_arch_rank(truth, col)
        widths[n] = table["spearman_hi"] - table["spearman_lo"]
        assert np.isnan(table.loc["jacov", "p_new_better"])
        assert 0.0 <= table.loc["params", "p_new_better"] <= 1.0
    # sqrt(10) times the archs: intervals about 3 times narrower
    assert np.all(widths[300] < 0.6 * widths[30]), widths


def test_a_proxy_against_its_own_copy_wins_half_the_resamples(nb201_cifar10) -> None:
    rows = arch_subset(nb201_cifar10, 40, seed=2)
    assert rows.size == 40 and np.all(np.diff(rows) > 0)
    assert np.all(nb201_cifar10.has_proxy("jacov")[rows])
    np.testing.assert_array_equal(rows, arch_subset(nb201_cifar10, 40, seed=2))
    params = nb201_cifar10.proxies["params"][rows]
    table = correlation_table(
        nb201_cifar10.val_accuracy[rows], {"new": params, "params": params}, "new", n_boot=200
    ).set_index("proxy")
    assert table.loc["params", "p_new_better"] == 0.5
    assert table.loc["params", "spearman"] == table.loc["new", "spearman"]


def test_unknown_module_function_or_name_gives_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ProxySpecError, match="cannot import module 'no_such_module_xyz'"):
        resolve_proxy("no_such_module_xyz:my_proxy")
    with pytest.raises(ProxySpecError, match="has no function 'nope'.*last_layer_grad_norm"):
        resolve_proxy(f"{EXAMPLE}:nope")
    with pytest.raises(ProxySpecError, match="not a registered proxy"):
        resolve_proxy("not_a_proxy_name")
    with pytest.raises(ProxySpecError, match="no file"):
        resolve_proxy(f"{tmp_path / 'missing.py'}:fn")
    two_args = tmp_path / "two_args.py"
    two_args.write_text("def score(ctx, extra):\n    return 1.0\n")
    with pytest.raises(ProxySpecError, match="fn\\(ctx\\) -> float"):
        resolve_proxy(f"{two_args}:score")
    # the same file resolved twice registers once
    assert resolve_proxy(f"{EXAMPLE}:last_layer_grad_norm") == "last_layer_grad_norm"
    assert resolve_proxy(f"{EXAMPLE}:last_layer_grad_norm") == "last_layer_grad_norm"
    assert resolve_proxy("naspred.proxies.zico:zico") == "zico"


def test_cli_errors_name_the_missing_module(suite_zero_dir: Path) -> None:
    result = CliRunner().invoke(
        app, ["compare", "no_such_module_xyz:fn", "--suite-zero-dir", str(suite_zero_dir)]
    )
    assert result.exit_code == 2
    assert "cannot import module 'no_such_module_xyz'" in result.output


def test_compare_end_to_end_with_the_example_proxy(
    nb201_cifar10, suite_zero_dir: Path, shared_data: Path, tmp_path: Path
) -> None:
    npz = shared_data / "cifar10_sample.npz"
    if not npz.is_file():
        pytest.skip(f"{npz} not found")
    out = tmp_path / "cmp"
    args = [
        "compare", f"{EXAMPLE}:last_layer_grad_norm",
        "--task", "nasbench201/cifar10", "--suite-zero-dir", str(suite_zero_dir),
        "--npz", str(npz), "--n-archs", "12", "--batch-size", "8", "--seed", "0",
        "--n-boot", "200", "--live-baseline", "params", "--out", str(out), "--no-progress",
    ]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    for name in (
        "compare.md",
        "compare.csv",
        "mean_rank.csv",
        "similarity.csv",
        "similarity.png",
        "spearman_ci.png",
        "scores.csv",
    ):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    table = pd.read_csv(out / "compare.csv")
    stored = set(nb201_cifar10.proxy_names)
    assert set(table["proxy"]) == stored | {"last_layer_grad_norm", "params (live)"}
    assert set(table["kind"]) == {"new", "stored", "live"}
    assert (table["n"] == 12).all()
    assert sorted(table["rank"]) == pytest.approx(
        pd.Series(table["spearman"]).rank(ascending=False).sort_values().tolist()
    )
    # our live params equal the stored ones: same correlations and CIs
    live = table.set_index("proxy").loc["params (live)"]
    base = table.set_index("proxy").loc["params"]
    for col in ("spearman", "spearman_lo", "spearman_hi", "kendall"):
        assert live[col] == pytest.approx(base[col], abs=1e-9), col
    # the scores are the example's, on the seeded subset's archs
    scores = pd.read_csv(out / "scores.csv")
    rows = arch_subset(nb201_cifar10, 12, seed=0)
    assert list(scores["arch"]) == [nb201_cifar10.keys[i] for i in rows]
    assert np.all(np.isfinite(scores["last_layer_grad_norm"]))
    assert np.all(scores["last_layer_grad_norm"] > 0)
    new = table.set_index("proxy").loc["last_layer_grad_norm"]
    assert new["spearman"] == pytest.approx(
        spearman(scores["val_accuracy"], scores["last_layer_grad_norm"])
    )
    sim = pd.read_csv(out / "similarity.csv", index_col=0)
    assert list(sim.index) == ["nasbench201/cifar10"]
    assert {"val_accuracy", "params", "synflow"} <= set(sim.columns)
    assert sim.loc["nasbench201/cifar10", "params"] == pytest.approx(
        spearman(scores["params"], scores["last_layer_grad_norm"])
    )
    md = (out / "compare.md").read_text()
    assert "**last_layer_grad_norm**" in md and "Closest baseline" in md
    assert "last_layer_grad_norm" in result.output
