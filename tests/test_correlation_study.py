import pandas as pd
import pytest
from typer.testing import CliRunner

from naspred.benchmarks import load_tasks
from naspred.cli import app
from naspred.experiments import run_correlation_study
from naspred.experiments.correlation_stats import mean_ranks


@pytest.fixture(scope="module")
def study(suite_zero_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("correlations")
    return out, run_correlation_study(load_tasks(suite_zero=suite_zero_dir), out, progress=False)


def test_study_writes_every_table_and_figure(study):
    out, _ = study
    for name in [
        "correlations.csv",
        "correlations.md",
        "mean_rank.csv",
        "cross_spearman.csv",
        "spearman.png",
        "heatmap_mean.png",
        "heatmaps/nasbench201__cifar100.png",
    ]:
        assert (out / name).stat().st_size > 200, name
    assert len(list((out / "heatmaps").glob("*.png"))) == 8


def test_study_numbers(study):
    out, result = study
    table = pd.read_csv(out / "correlations.csv")
    assert table["task"].nunique() == 8
    assert len(table) == 2 * 11 + 2 * 12 + 4 * 4  # (task, proxy) pairs in the records
    row = table[(table.task == "nasbench201/cifar100") & (table.proxy == "synflow")].iloc[0]
    assert row["spearman"] == pytest.approx(0.7573, abs=5e-4) and row["n"] == 491
    # the 11 proxies of NB101, NB201 (x2) and NB301 are ranked over those 4 tasks;
    # zen (not stored for NB101/NB301) is listed after them, unranked
    ranks = pd.read_csv(out / "mean_rank.csv").set_index("proxy")
    # params and synflow tie at the top (jacov's 7 failures, left out, move it down)
    assert set(ranks.index[:2]) == {"params", "synflow"}
    assert ranks.loc["params", "mean_rank"] == ranks.loc["synflow", "mean_rank"] == 2.5
    assert ranks.loc["synflow", "tasks"] == 8 and ranks.loc["synflow", "ranked_tasks"] == 4
    assert ranks.loc["plain", "mean_rank"] == ranks["mean_rank"].max()
    assert ranks.index[-1] == "zen" and pd.isna(ranks.loc["zen", "mean_rank"])
    # the cross-proxy matrix has ground truth as a row, consistent with the main table
    cross = result.cross["nasbench201/cifar100"]
    assert cross.index[0] == "val_accuracy"
    assert cross.loc["val_accuracy", "synflow"] == pytest.approx(row["spearman"])
    assert cross.loc["params", "flops"] > 0.9  # params and flops nearly agree on NB201
    md = (out / "correlations.md").read_text()
    assert "| synflow " in md and "## Kendall" in md and "491 / 0" in md


def test_mean_ranks_by_hand():
    table = pd.DataFrame(
        {
            "task": ["t1", "t1", "t1", "t2", "t2"],
            "proxy": ["a", "b", "c", "a", "b"],
            "spearman": [0.9, 0.5, float("nan"), 0.1, 0.2],
        }
    )
    ranks = mean_ranks(table).set_index("proxy")
    assert ranks.loc["a", "mean_rank"] == 1.5 and ranks.loc["b", "mean_rank"] == 1.5
    # undefined correlations are not ranked; the proxy is still listed
    assert pd.isna(ranks.loc["c", "mean_rank"]) and ranks.loc["c", "tasks"] == 0
    assert ranks.loc["a", "mean_spearman"] == pytest.approx(0.5)


def test_cli_on_suite_zero(suite_zero_dir, tmp_path):
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "correlations",
            "--suite-zero-dir",
            str(suite_zero_dir),
            "-t",
            "nasbench201/*",
            "--out",
            str(tmp_path),
            "--no-progress",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "2 task(s)" in result.output
    table = pd.read_csv(tmp_path / "correlations.csv")
    assert set(table["task"]) == {"nasbench201/cifar10", "nasbench201/cifar100"}


@pytest.mark.parametrize(
    "flag, n, spearman",
    [
        # failures left out: the 0.311; ranked last (Suite-Zero's notebooks): 0.355
        ("--failed-left-out", 15284, 0.310759),
        ("--failed-as-worst", 15625, 0.354901),
    ],
)
def test_failures_left_out_or_ranked_last(suite_zero_dir, tmp_path, flag, n, spearman):
    result = CliRunner().invoke(
        app,
        ["correlations", "--suite-zero-dir", str(suite_zero_dir), "-t", "nasbench201/cifar10",
         "--out", str(tmp_path), "--no-progress", flag],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    row = pd.read_csv(tmp_path / "correlations.csv").set_index("proxy").loc["zen"]
    assert (row["n"], row["n_failed"], row["n_nonfinite"]) == (n, 341, 0)
    assert row["spearman"] == pytest.approx(spearman, abs=1e-6)
    md = (tmp_path / "correlations.md").read_text()
    assert ("ranked last" if flag == "--failed-as-worst" else "left out and counted apart") in md
    assert f"| {n} / 0 / 341 " in md.replace("  ", " ")


def test_cli_errors_are_clear(tmp_path):
    result = CliRunner().invoke(app, ["correlations", "--suite-zero-dir", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert "no such directory" in result.output or "file not found" in result.output


def test_cli_embedded_default_writes_under_results_only(tmp_path, monkeypatch):
    # the README's main job, `naspred correlations`, run from a checkout: it must write
    # under the git-ignored results/, never into the committed tables/
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NASPRED_SUITE_ZERO_DIR", raising=False)
    result = CliRunner().invoke(app, ["correlations", "--no-progress"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "results" / "correlations" / "embedded"
    assert "-> results/correlations/embedded/" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["results"]
    assert [p.name for p in (tmp_path / "results").iterdir()] == ["correlations"]
    table = pd.read_csv(out / "correlations.csv")
    assert table["task"].str.startswith("nasbench_graph/").sum() == 2 * 9
    assert (out / "heatmaps" / "nasbench201__analognas_cifar10.png").exists()
    listing = CliRunner().invoke(app, ["tasks"])
    assert (
        listing.exit_code == 0
        and "nasbench_graph/proteins" in listing.output
        and "2021" in listing.output
    )


def test_proxy_agreement_compares_like_with_like():
    import numpy as np

    from naspred.benchmarks import Task
    from naspred.experiments.correlation_stats import proxy_agreement

    acc = np.array([60.0, 70, 80, 90, 50, 65])
    stored = Task(
        "s",
        "d",
        tuple("abcdef"),
        acc,
        proxies={"p": np.array([1.0, 2, 3, 4, -1e8, 1.5]), "q": np.array([1.0, 2, 3, 4, 5, 6])},
        proxy_missing={"q": np.array([False] * 5 + [True])},
    )
    # ours scores 5 of the archs; arch "e" is a dead cell: NaN here, -1e8 stored
    ours = Task(
        "s",
        "d",
        tuple("edcba"),
        acc[[4, 3, 2, 1, 0]],
        proxies={"p": np.array([np.nan, 4.0, 3, 2, 1]), "q": np.array([5.0, 1, 2, 3, 4])},
    )
    table = proxy_agreement(ours, stored).set_index("proxy")
    assert table.loc["p", "archs"] == 5 and table.loc["p", "ours_nonfinite"] == 1
    assert table.loc["p", "spearman(ours, stored)"] == pytest.approx(1.0)
    assert table.loc["p", "stored vs acc (common)"] == pytest.approx(1.0)
    # on all its archs the stored score also ranks the dead cell (lowest acc) last
    assert table.loc["p", "stored vs acc"] == pytest.approx(1.0)
    assert table.loc["q", "spearman(ours, stored)"] == pytest.approx(0.0)  # 1 - 6*20/(5*24)
    assert table.loc["q", "archs"] == 5  # "f" has no stored q
