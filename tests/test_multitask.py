"""The predictor study over every task (issue #18, item 3): the task selection, the
cross-task rank summary and a run end to end."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from naspred.benchmarks import Task, all_tasks, registry, require_tasks
from naspred.cli import app
from naspred.errors import UnknownNameError, UnknownTaskError
from naspred.reports.multitask import cross_task_ranks, task_ranks, write_multitask_tables

runner = CliRunner()


@pytest.fixture
def no_packaged_benchmarks(monkeypatch: pytest.MonkeyPatch) -> None:
    """NAS-Bench-Graph and AnalogNAS-Bench (pip packages, 10 tasks of up to 26,206
    archs) seen as not installed: the shared data's tasks alone, read in seconds."""
    monkeypatch.setattr(registry.nasbench_graph, "is_available", lambda: False)
    monkeypatch.setattr(registry.analog_nasbench, "is_available", lambda: False)
    for name in ("NASPRED_SUITE_ZERO_DIR", "NASPRED_GRAF_DIR"):
        monkeypatch.delenv(name, raising=False)


# ---- the cross-task summary ---------------------------------------------------------------

# mean Kendall tau over seeds 0 and 1 of each (task, predictor) at each size; None: the
# cell was skipped (the predictor cannot run there); nan: constant predictions
MEANS = {
    10: {
        "A": {"xgb": 0.5, "rf": 0.3, "zc:params": 0.1},
        "B": {"xgb": 0.2, "rf": 0.2, "zc:params": 0.6},
        "C": {"xgb": 0.7, "rf": 0.1, "zc:params": None},
    },
    20: {
        "A": {"xgb": np.nan, "rf": 0.5, "zc:params": 0.4},
        "B": {"xgb": 0.9, "rf": 0.8, "zc:params": 0.7},
        "C": {"xgb": 0.1, "rf": 0.2, "zc:params": None},
    },
}


def _results() -> pd.DataFrame:
    rows = []
    for size, tasks in MEANS.items():
        for task, by in tasks.items():
            for predictor, mean in by.items():
                for seed, shift in ((0, -0.05), (1, 0.05)):  # the seeds average to the mean
                    row = {"task": task, "predictor": predictor, "train_size": size,
                           "seed": seed, "test_size": 100, "fit_s": 0.1, "query_s": 0.01,
                           "error": None}  # fmt: skip
                    if mean is None:
                        row |= {"status": "skipped", "kendall": np.nan, "spearman": np.nan,
                                "error": "the task stores no proxy 'params'"}  # fmt: skip
                    else:
                        row |= {"status": "ok", "kendall": mean + shift, "spearman": mean}
                    rows.append(row)
    # a failed cell counts nowhere
    rows.append({**rows[0], "status": "failed", "kendall": 0.99, "seed": 7, "error": "boom"})
    return pd.DataFrame(rows)


def test_ranks_per_task_and_their_mean_across_tasks_are_exact() -> None:
    ranks = task_ranks(_results()).set_index(["train_size", "task", "predictor"])
    # size 10, task B: xgb and rf tie at 0.2 and share ranks 2 and 3
    assert ranks.loc[(10, "B"), "rank"].to_dict() == {"rf": 2.5, "xgb": 2.5, "zc:params": 1.0}
    assert ranks.loc[(10, "A", "xgb"), "mean"] == pytest.approx(0.5)
    assert ranks.loc[(10, "A", "xgb"), "seeds"] == 2  # the failed seed 7 is not counted
    # size 20, task A: xgb's tau is undefined, so two predictors are ranked there
    assert np.isnan(ranks.loc[(20, "A", "xgb"), "rank"])
    assert ranks.loc[(20, "A"), "ranked"].tolist() == [2, 2, 2]
    summary = cross_task_ranks(task_ranks(_results())).set_index(["train_size", "predictor"])
    expected = {
        (10, "xgb"): (1.5, np.std([1, 2.5, 1], ddof=1), 3),
        (10, "rf"): (6.5 / 3, np.std([2, 2.5, 2], ddof=1), 3),
        (10, "zc:params"): (2.0, np.std([3, 1], ddof=1), 2),
        (20, "xgb"): (1.5, np.std([1, 2], ddof=1), 2),
        (20, "rf"): (4 / 3, np.std([1, 2, 1], ddof=1), 3),
        (20, "zc:params"): (2.5, np.std([2, 3], ddof=1), 2),
    }
    for key, (mean, std, tasks) in expected.items():
        row = summary.loc[key]
        assert row["mean_rank"] == pytest.approx(mean), key
        assert row["std_rank"] == pytest.approx(std), key
        assert row["tasks"] == tasks, key
    assert summary.loc[(10, "xgb"), ["q25_rank", "median_rank", "q75_rank"]].tolist() == [
        1.0,
        1.0,
        1.75,
    ]
    assert summary.loc[(10, "xgb"), "mean_score"] == pytest.approx((0.5 + 0.2 + 0.7) / 3)


def test_the_summary_tables_figure_and_protocol_are_written(tmp_path) -> None:
    out = tmp_path / "multitask"
    (out).mkdir()
    (out / "store.jsonl").write_text("")  # a store kept beside the tables survives
    files = write_multitask_tables(
        _results(), out, archs={"A": 10, "B": 20, "C": 30}, command="python x.py"
    )
    names = {f.relative_to(out).as_posix() for f in files}
    assert {"README.md", "summary.md", "summary.csv", "summary.png", "ranks.csv"} <= names
    assert {"tasks/predictors.md", "tasks/summary.csv"} <= names
    assert (out / "store.jsonl").exists()
    csv = pd.read_csv(out / "summary.csv").set_index(["train_size", "predictor"])
    assert csv.loc[(10, "rf"), "mean_rank"] == pytest.approx(6.5 / 3, abs=1e-5)
    md = (out / "summary.md").read_text()
    # the best per task: on B at 10 zc:params, with the tied xgb and rf behind it
    assert "| B      | zc:params (0.600) | xgb (0.900) |" in md
    assert "| B      | 0.200 (2.5) | 0.200 (2.5) | 0.600 (1)   |" in md
    assert "1.50 ± 0.87 (n=3)" in md  # xgb at 10
    assert "the task stores no proxy 'params'" in md
    readme = (out / "README.md").read_text()
    assert "python x.py" in readme and "Seeds: 0, 1;" in readme
    assert "Training-set sizes: 10, 20 archs" in readme and "100 archs per task" in readme


# ---- choosing every task ------------------------------------------------------------------

SHARED_TASKS = [
    "nasbench101/cifar10",
    "nasbench201/cifar10",
    "nasbench201/cifar100",
    "nasbench301/cifar10",
    "transbench101_macro/jigsaw",
    "transbench101_macro/class_object",
    "transbench101_micro/jigsaw",
    "transbench101_micro/class_object",
    "nasbench201/cifar10-graf",
    "nasbench201/cifar10-lc",
    "nasbench201/cifar10@edgegpu_latency",
    "nasbench201/cifar100@edgegpu_latency",
    "nasbench201/cifar10@pgd@Linf_eps-1.0",
]


def test_all_tasks_are_the_shared_datas_with_their_targets(
    shared_data, no_packaged_benchmarks
) -> None:
    tasks = all_tasks(suite_zero=shared_data / "suite_zero", graf=shared_data / "graf")
    assert [t.name for t in tasks] == SHARED_TASKS
    latency = tasks[SHARED_TASKS.index("nasbench201/cifar10@edgegpu_latency")]
    assert latency.main_target == "edgegpu_latency" and len(latency) == 15625
    assert np.all(latency.val_accuracy < 0)  # a cost, negated
    require_tasks(tasks, ["nasbench201/*", "transbench101_*/jigsaw"])
    with pytest.raises(UnknownTaskError) as err:
        require_tasks(tasks, ["nasbench_graph/cora"])
    message = str(err.value)
    assert "\n" not in message and "'nasbench_graph/cora'" in message
    assert "pip install nas-bench-graph" in message
    assert "available: nasbench101/cifar10, nasbench201/cifar10," in message


def test_a_retargeted_task_that_repeats_another_is_left_out() -> None:
    keys = ("(0, 0, 0, 0, 0, 0)", "(0, 0, 0, 0, 0, 1)", "(0, 0, 0, 0, 0, 2)")
    a = Task("nasbench201", "cifar10", keys, np.array([1.0, 2.0, 3.0]))
    b = Task("nasbench201", "other", keys[::-1], np.array([3.0, 2.0, 1.0]))
    c = Task("nasbench201", "other", keys[::-1], np.array([3.0, 2.0, 1.5]))
    assert registry._same_ground_truth(a, b)  # the same archs and values, reordered
    assert not registry._same_ground_truth(a, c)


def test_an_extra_target_no_task_has_is_an_error(shared_data, no_packaged_benchmarks) -> None:
    # not one of GRAF's (left out with a warning where GRAF is not installed): a typo
    with pytest.raises(UnknownNameError, match="'nosuch'; the tasks' targets: train_time"):
        all_tasks(suite_zero=shared_data / "suite_zero" / "zc_nasbench101.json", targets=["nosuch"])


# ---- end to end ---------------------------------------------------------------------------


def test_all_tasks_study_end_to_end(shared_data, no_packaged_benchmarks, tmp_path) -> None:
    # two small tasks (NB101's 500 archs and the 1,000-arch learning-curve benchmark; no
    # GRAF release, so its targets are left out with a warning), two fast predictors
    out, store = tmp_path / "out", tmp_path / "store.jsonl"
    args = ["predictors", "--all-tasks", "-p", "xgb,zc:params", "--train-sizes", "10,50",
            "--seeds", "0,1", "--test-size", "100", "--store", str(store), "--out", str(out),
            "--suite-zero-dir", str(shared_data / "suite_zero" / "zc_nasbench101.json"),
            "--no-progress"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "16 cells" in result.output
    ranks = pd.read_csv(out / "ranks.csv")
    assert set(ranks["task"]) == {"nasbench101/cifar10", "nasbench201/cifar10-lc"}
    # the summary's ranks are those of the per-task means the study tables hold
    per_task = pd.read_csv(out / "tasks" / "summary.csv")
    for (size, task), part in per_task.groupby(["train_size", "task"]):
        best = part.loc[part["mean_kendall"].idxmax(), "predictor"]
        row = ranks[(ranks["train_size"] == size) & (ranks["task"] == task)]
        assert row.set_index("predictor").loc[best, "rank"] == 1.0
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary["tasks"]) == {2} and len(summary) == 4
    assert summary.groupby("train_size")["mean_rank"].sum().tolist() == [3.0, 3.0]
    assert "## nasbench101/cifar10" in (out / "tasks" / "predictors.md").read_text()
    # the store resumes: a second run computes nothing
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and "16 cells" in again.output
    assert len(store.read_text().splitlines()) == 16
