import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from naspred.benchmarks import load_suite_zero
from naspred.errors import InvalidInputError
from naspred.experiments.predictors import (
    PredictorSpec,
    run_predictor_study,
    split,
    stored_predictor_results,
    write_predictor_tables,
)
from naspred.journal import Journal

METRICS = ["kendall", "spearman", "pearson", "mae", "rmse"]


@pytest.fixture(scope="module")
def nb201(suite_zero_dir):
    return [
        t for t in load_suite_zero(suite_zero_dir / "zc_nasbench201.json") if t.dataset == "cifar10"
    ]


def test_predictor_spec_parsing():
    spec = PredictorSpec.parse("xgb:encoding=graph_features,tune=true,n_estimators=50")
    assert spec.name == "xgb"
    assert spec.params == {"encoding": "graph_features", "tune": True, "n_estimators": 50}
    assert spec.id == "xgb(encoding=graph_features,n_estimators=50,tune=True)"
    # a dotted key fills a dict option, a bracketed value is a ';'-separated list
    spec = PredictorSpec.parse(
        "xgb:encoding=arch2vec,encoding_kw.source=trained,encoding_kw.epochs=3"
    )
    assert spec.params == {
        "encoding": "arch2vec",
        "encoding_kw": {"source": "trained", "epochs": 3},
    }
    spec = PredictorSpec.parse("ensemble:members=[xgb:encoding=graph_features,n_estimators=9; rf]")
    assert spec.params == {"members": ("xgb:encoding=graph_features,n_estimators=9", "rf")}
    assert PredictorSpec.parse("x:sizes=[1; 2.5; a]").params == {"sizes": (1, 2.5, "a")}
    for bad, match in [
        ("x:a=1]", "unbalanced"),
        ("x:a=1,a.b=2", "both a value and a dict"),
        ("x:a.b=1,a.b=2", "given twice"),
        ("x:.b=1", "bad predictor option"),
    ]:
        with pytest.raises(InvalidInputError, match=match):
            PredictorSpec.parse(bad)
    with pytest.raises(ValueError, match="key=value"):
        PredictorSpec.parse("xgb:graph_features")


def test_split_is_fixed_per_seed_and_disjoint(nb201):
    [task] = nb201
    eligible = np.isfinite(task.val_accuracy)
    test_a, pool_a = split(task, 3, 500, eligible)
    test_b, pool_b = split(task, 3, 500, eligible)
    np.testing.assert_array_equal(test_a, test_b)
    np.testing.assert_array_equal(pool_a, pool_b)
    assert len(test_a) == 500 and len(pool_a) == len(task) - 500
    assert not set(test_a) & set(pool_a)
    assert not np.array_equal(split(task, 4, 500, eligible)[0], test_a)


def test_study_records_every_cell_and_its_outcome(nb201, tmp_path):
    specs = [PredictorSpec("rf"), PredictorSpec("zc", {"proxy": "nwot"}), PredictorSpec("zc_xgb")]
    results = run_predictor_study(
        nb201, specs, [20, 100, 400], [0], tmp_path / "s.jsonl", test_size=200, progress=False
    )
    by = results.set_index(["predictor", "train_size"])
    assert (by.loc["rf", "status"] == "ok").all()
    assert by.loc[("rf", 100), "kendall"] > 0.3
    # nwot is not stored for this task: the predictor cannot run on it, recorded as
    # skipped (not a failure), naming what is missing
    assert (by.loc["zc(proxy=nwot)", "status"] == "skipped").all()
    assert "stores no proxy 'nwot'" in by.loc[("zc(proxy=nwot)", 20), "error"]
    # zc_xgb reads the stored proxies, which 491 archs carry; jacov and epe_nas failed
    # on 7 of them (Suite-Zero's -1e8 marker): 484 - 200 = 284 left for training
    assert by.loc[("zc_xgb", 100), "status"] == "ok"
    assert by.loc[("zc_xgb", 400), "status"] == "skipped"
    assert "284" in by.loc[("zc_xgb", 400), "error"]
    files = write_predictor_tables(results, tmp_path / "tables")
    assert {f.name for f in files} >= {
        "predictors.md",
        "summary.csv",
        "kendall_vs_train_size_nasbench201__cifar10.png",
    }
    md = (tmp_path / "tables" / "predictors.md").read_text()
    assert "## Cells not run" in md and "| rf " in md
    # what each cell read, as a plain CSV field
    csv = pd.read_csv(tmp_path / "tables" / "predictors.csv", keep_default_na=False)
    reads = dict(zip(csv["predictor"], csv["reads"], strict=False))
    assert reads["rf"] == "" and reads["zc(proxy=nwot)"] == "proxy:nwot"


def test_study_reruns_cells_of_a_task_whose_data_changed(nb201, tmp_path):
    [task] = nb201
    path = tmp_path / "s.jsonl"
    specs = [PredictorSpec("rf")]

    def run(t, sizes=(20, 50), test_size=200):  # one rf cell per size, seed 0
        return run_predictor_study(
            [t], specs, sizes, [0], path, test_size=test_size, progress=False
        )

    first = run(task)
    lines = path.read_text().splitlines()
    assert len(first) == 2 and (first["study"] == "predictors").all()
    # keyed by what rf reads: the archs and their accuracies, no proxy
    assert (first["data"] == f"{task.digest(proxies=[])}-t200").all()
    assert first["reads"].map(len).eq(0).all()
    # same task, same settings: nothing runs again and the same rows come back
    again = run(task)
    assert path.read_text().splitlines() == lines
    pd.testing.assert_frame_equal(again, first)
    # read back without running: the same rows, and none for another test size
    pd.testing.assert_frame_equal(stored_predictor_results([task], path, test_size=200), first)
    assert stored_predictor_results([task], path, test_size=300).empty
    # one target changed: the cells run afresh and only the new rows are returned
    changed = task.subset(np.arange(len(task)))
    object.__setattr__(changed, "val_accuracy", task.val_accuracy + 0.0)
    changed.val_accuracy[0] += 1.0
    fresh = run(changed)
    assert len(path.read_text().splitlines()) == len(lines) + 2
    assert set(fresh["unit"]).isdisjoint(first["unit"])
    assert (fresh["data"] == f"{changed.digest(proxies=[])}-t200").all()
    # a different test size is different results too
    other = run(task, sizes=(20,), test_size=300)
    assert len(other) == 1 and other["data"].iloc[0].endswith("-t300")


def test_a_changed_proxy_reruns_only_the_predictors_that_read_it(nb201, tmp_path):
    [task] = nb201
    path = tmp_path / "s.jsonl"
    specs = [PredictorSpec("rf"), PredictorSpec("zc", {"proxy": "zen"})]

    def run(t):
        return run_predictor_study([t], specs, [20], [0], path, test_size=200, progress=False)

    first = run(task).set_index("predictor")
    assert first.loc["zc(proxy=zen)", "reads"] == ["proxy:zen"]
    # another zen (as a loader that learned a failure marker would give): only the cell
    # that reads zen runs again; rf's cell is read back as it was
    moved = task.with_proxies({"zen": task.proxies["zen"] + 1.0})
    second = run(moved).set_index("predictor")
    assert len(path.read_text().splitlines()) == 3
    assert second.loc["rf", "unit"] == first.loc["rf", "unit"]
    assert second.loc["zc(proxy=zen)", "unit"] != first.loc["zc(proxy=zen)", "unit"]
    # a proxy no predictor reads: everything is read back
    extra = moved.with_proxies({"fake": np.zeros(len(task))})
    run(extra)
    assert len(path.read_text().splitlines()) == 3
    # rows of stores written before per-predictor tags carry no 'reads': never current
    old = {**first.reset_index().iloc[0].to_dict(), "unit": "old", "data": f"{task.digest()}-t200"}
    del old["reads"]
    Journal(tmp_path / "old.jsonl").add(old)
    assert stored_predictor_results([task], tmp_path / "old.jsonl", test_size=200).empty


def test_killed_study_resumes_with_the_same_table(nb201, suite_zero_dir, tmp_path):
    args = [
        "-p",
        "rf",
        "-p",
        "xgb:n_estimators=60",
        "--train-sizes",
        "10,20,50,100",
        "--seeds",
        "0,1",
        "--test-size",
        "200",
        "--no-progress",
        "-t",
        "nasbench201/cifar10",
        "--suite-zero-dir",
        str(suite_zero_dir),
    ]
    store = tmp_path / "killed.jsonl"
    cmd = [
        sys.executable,
        "-m",
        "naspred.cli",
        "predictors",
        *args,
        "--store",
        str(store),
        "--out",
        str(tmp_path / "out"),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and (not store.exists() or store.read_text().count("\n") < 3):
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = store.read_text().count("\n")
    assert 3 <= done_before < 16, "the kill should land mid-study"
    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    resumed = Journal(store).frame()
    assert len(resumed) == 16 and (resumed["status"] == "ok").all()

    specs = [PredictorSpec("rf"), PredictorSpec("xgb", {"n_estimators": 60})]
    fresh = run_predictor_study(
        nb201,
        specs,
        [10, 20, 50, 100],
        [0, 1],
        tmp_path / "fresh.jsonl",
        test_size=200,
        progress=False,
    )
    key = ["predictor", "train_size", "seed"]
    a = resumed.sort_values(key).set_index(key)[METRICS]
    b = fresh.sort_values(key).set_index(key)[METRICS]
    pd.testing.assert_frame_equal(a, b)


def test_store_drops_a_cut_last_line_and_rejects_damage(tmp_path):
    path = tmp_path / "s.jsonl"
    store = Journal(path)
    store.add({"unit": "a", "kendall": float("nan"), "n": np.int64(3)})
    store.add({"unit": "b", "kendall": 0.5})
    with path.open("a") as fh:
        fh.write('{"unit": "c", "kend')  # killed mid-write
    reopened = Journal(path)
    assert len(reopened) == 2 and "c" not in reopened
    assert reopened.frame().set_index("unit").loc["b", "kendall"] == 0.5
    assert pd.isna(reopened.frame().set_index("unit").loc["a", "kendall"])
    reopened.add({"unit": "c", "kendall": 0.1})
    assert len(Journal(path)) == 3
    path.write_text('{"unit": "a"}\nnot json\n{"unit": "b"}\n')
    with pytest.raises(Exception, match="line 2 is not valid JSON"):
        Journal(path)
