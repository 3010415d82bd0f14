"""The transfer study (issue #18, item 2): fit on one task, rank another's archs."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from naspred.errors import InvalidInputError
from naspred.experiments import transfer as transfer_study
from naspred.experiments.predictors import run_predictor_study
from naspred.experiments.transfer import (
    quantile_map,
    run_transfer_study,
    transfer_split,
    write_transfer_tables,
)
from naspred.journal import Journal
from naspred.predictors.spec import PredictorSpec

# small and quick: the tests check the protocol, not the predictor
XGB = PredictorSpec("xgb", {"n_estimators": 40, "encoding": "graph_features"})


@pytest.fixture(scope="module")
def nb201(suite_zero_dir):
    from naspred.benchmarks import load_suite_zero

    return {t.dataset: t for t in load_suite_zero(suite_zero_dir / "zc_nasbench201.json")}


def test_quantile_map_by_hand() -> None:
    # mid-rank quantiles (r - 0.5) / n of [3, 1, 2, 2]: 0.875, 0.125, 0.5, 0.5
    mapped = quantile_map(np.array([3.0, 1.0, 2.0, 2.0]), np.array([0.0, 10.0]))
    np.testing.assert_allclose(mapped, [8.75, 1.25, 5.0, 5.0])
    # three reference values: linear interpolation between order statistics
    mapped = quantile_map(np.array([5.0, -1.0]), np.array([30.0, 10.0, 20.0]))
    np.testing.assert_allclose(mapped, [25.0, 15.0])  # q 0.75 and 0.25 of [10, 20, 30]
    with pytest.raises(InvalidInputError, match="reference has no values"):
        quantile_map(np.array([1.0]), np.array([]))
    with pytest.raises(InvalidInputError, match="finite"):
        quantile_map(np.array([np.nan]), np.array([1.0]))


def test_cifar10_to_cifar100_end_to_end(nb201, tmp_path) -> None:
    source, target = nb201["cifar10"], nb201["cifar100"]
    test, shared_pool, source_pool, target_rows = transfer_split(source, target, 0, 300)
    assert len(test) == 300 and not set(test) & set(source_pool)
    assert list(source_pool[: len(shared_pool)]) == list(shared_pool)
    assert (target_rows[test] >= 0).all()
    results = run_transfer_study(
        [(source, target)], [XGB], [50], [10, 50], [0, 1], tmp_path / "s.jsonl",
        test_size=300, progress=False,
    )  # fmt: skip
    assert (results["status"] == "ok").all()
    # 2 seeds x (plain + finetune x 2 k + target-only x 2 k)
    assert len(results) == 10
    by = results.set_index(["seed", "mode", "k"])
    assert by.loc[(0, "plain", 0), "fit_archs"] == 50
    assert by.loc[(0, "target-only", 10), "fit_archs"] == 10
    assert (results["test_size"] == 300).all()
    # CIFAR-10 ranks CIFAR-100 well; 10 archs alone do clearly worse than 50
    plain = results.loc[results["mode"] == "plain", "kendall"]
    assert plain.min() > 0.45
    only = results[results["mode"] == "target-only"].groupby("k")["kendall"].mean()
    assert only[50] > only[10]
    # with k = n the source archs are exactly the k target archs: finetune = target-only
    np.testing.assert_allclose(
        by.loc[(0, "finetune", 50), "kendall"], by.loc[(0, "target-only", 50), "kendall"]
    )
    files = write_transfer_tables(results, tmp_path / "out")
    assert {f.name for f in files} == {
        "transfer.csv", "summary.csv", "transfer.md", "kendall_vs_target_archs.png",
    }  # fmt: skip
    text = (tmp_path / "out" / "transfer.md").read_text()
    assert "## nasbench201/cifar10 -> nasbench201/cifar100" in text
    assert "finetune k=10" in text and "target-only k=50" in text


def test_plain_transfer_to_itself_is_the_predictor_study(nb201) -> None:
    task = nb201["cifar10"]
    mine = run_transfer_study(
        [(task, task)], [XGB], [60], [10], [3], None, test_size=250, modes=["plain"],
        progress=False,
    )  # fmt: skip
    theirs = run_predictor_study([task], [XGB], [60], [3], Journal(None), test_size=250,
                                 progress=False)  # fmt: skip
    assert len(mine) == len(theirs) == 1
    assert mine["kendall"][0] == pytest.approx(theirs["kendall"][0], abs=1e-12)
    assert mine["spearman"][0] == pytest.approx(theirs["spearman"][0], abs=1e-12)


def test_resume_skips_finished_units(nb201, tmp_path, monkeypatch) -> None:
    source, target = nb201["cifar10"], nb201["cifar100"]
    store = tmp_path / "store.jsonl"
    args = ([(source, target)], [XGB], [30], [10], [0], store)
    first = run_transfer_study(*args, test_size=200, progress=False)
    assert len(first) == 3 and (first["status"] == "ok").all()

    def must_not_run(*_args, **_kwargs):
        raise AssertionError("a finished unit ran again")

    monkeypatch.setattr(transfer_study, "transfer_cell", must_not_run)
    again = run_transfer_study(*args, test_size=200, progress=False)
    assert (again["status"] == "ok").all()
    np.testing.assert_array_equal(again["kendall"], first["kendall"])
    # a new k is a new unit: it runs (and here fails), the finished ones do not
    more = run_transfer_study(*args[:3], [10, 20], *args[4:], test_size=200, progress=False)
    assert sorted(more["status"]) == ["failed", "failed", "ok", "ok", "ok"]


def test_bad_pairs_and_predictors_are_refused(nb201, suite_zero_dir) -> None:
    from naspred.benchmarks import load_suite_zero

    [nb101] = load_suite_zero(suite_zero_dir / "zc_nasbench101.json")
    with pytest.raises(InvalidInputError, match="spaces differ"):
        run_transfer_study([(nb201["cifar10"], nb101)], [XGB], [10], [5], [0], None)
    with pytest.raises(InvalidInputError, match="read only the archs"):
        pair = [(nb201["cifar10"], nb201["cifar100"])]
        run_transfer_study(pair, [PredictorSpec("zc:zen")], [10], [5], [0], None)
    with pytest.raises(InvalidInputError, match="transfer mode"):
        pair = [(nb201["cifar10"], nb201["cifar100"])]
        run_transfer_study(pair, [XGB], [10], [5], [0], None, modes=["warm"])


def test_cli_runs_the_study(suite_zero_dir, tmp_path) -> None:
    from naspred.cli import app

    out, store = tmp_path / "out", tmp_path / "store.jsonl"
    result = CliRunner().invoke(app, [
        "transfer", "--suite-zero-dir", str(suite_zero_dir), "-p", "xgb:n_estimators=30",
        "--train-sizes", "40", "--finetune-archs", "10", "--seeds", "0", "--test-size", "200",
        "--out", str(out), "--store", str(store), "--no-progress",
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "3 cells in" in result.output and "{'ok': 3}" in result.output
    assert (out / "transfer.md").is_file() and (out / "kendall_vs_target_archs.png").is_file()
    bad = CliRunner().invoke(app, [
        "transfer", "--suite-zero-dir", str(suite_zero_dir), "--source", "nasbench201/*",
        "--store", str(store), "--out", str(out),
    ])  # fmt: skip
    assert bad.exit_code == 2 and "matches 2 tasks" in bad.output
