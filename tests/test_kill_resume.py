"""kill -9 in the middle of every resumable study, with real processes.

Each test starts a ``naspred`` command (the NAS loop, which has no command: its
study function) in a child process, SIGKILLs it once its journal holds
some finished units (a real kill: no cleanup runs), runs it again to the end, and
checks that

* the resumed result equals an uninterrupted run's;
* no finished unit ran twice: every journaled key appears once, and the lines
  the killed run had written are still the file's first lines, byte for byte.

The predictor study and ``naspred proxies compute`` have their own kill tests
(tests/test_predictor_study.py, tests/test_proxy_runner.py).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def _child(tmp_path: Path, name: str, body: str) -> list[str]:
    script = tmp_path / f"{name}.py"
    script.write_text(textwrap.dedent(body))
    return [sys.executable, str(script)]


def _env() -> dict[str, str]:
    # one torch thread: the child must not fight the test runner for the cores
    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}


def _complete_lines(path: Path) -> int:
    if not path.exists():
        return 0
    return path.read_bytes().count(b"\n")


def kill_after(cmd: list[str], journal: Path, lines: int, timeout: float = 240.0) -> bytes:
    """Run ``cmd`` until ``journal`` has ``lines`` complete lines, then SIGKILL it;
    the journal's complete part as the kill left it."""
    proc = subprocess.Popen(
        cmd, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    deadline = time.monotonic() + timeout
    try:
        while _complete_lines(journal) < lines:
            if proc.poll() is not None:
                raise AssertionError(
                    f"the run ended before the kill: {proc.stderr.read().decode()}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(f"{journal} never reached {lines} lines")
            time.sleep(0.01)
        os.killpg(proc.pid, signal.SIGKILL)  # the run and any worker it started
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run ended before the kill"
    raw = journal.read_bytes()
    return raw[: raw.rfind(b"\n") + 1]


def run_to_end(cmd: list[str]) -> None:
    done = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]


def assert_no_unit_ran_twice(journal: Path, before_kill: bytes, key: str) -> list[dict]:
    raw = journal.read_bytes()
    assert raw.startswith(before_kill), "the lines written before the kill were rewritten"
    rows = [json.loads(line) for line in raw.splitlines() if line.strip()]
    counts = Counter(str(r[key]) for r in rows if key in r)
    twice = [k for k, n in counts.items() if n > 1]
    assert not twice, f"units run twice: {twice[:3]}"
    return rows


# ---- trade-off -------------------------------------------------------------------------

NASPRED = [sys.executable, "-m", "naspred"]


def _tradeoff(store: Path, out: Path) -> list[str]:
    return [
        *NASPRED, "tradeoff", "-t", "nasbench201/cifar10-lc",
        "-p", "xgb:n_estimators=30,rf:n_estimators=30,sotl_e,lce,zc:jacov",
        "--train-sizes", "20,40,60", "--query-epochs", "1,2,4", "--seeds", "0,1",
        "--test-size", "100", "--no-progress", "--store", str(store), "--out", str(out),
    ]  # fmt: skip


def test_killed_tradeoff_resumes_to_the_uninterrupted_result(tmp_path):
    killed, fresh = tmp_path / "killed.jsonl", tmp_path / "fresh.jsonl"
    before = kill_after(_tradeoff(killed, tmp_path / "k"), killed, lines=4)
    assert not (tmp_path / "k").exists()  # killed before its tables
    run_to_end(_tradeoff(killed, tmp_path / "k"))
    rows = assert_no_unit_ran_twice(killed, before, "unit")
    run_to_end(_tradeoff(fresh, tmp_path / "f"))
    fresh_rows = [json.loads(line) for line in fresh.read_text().splitlines()]
    assert len(rows) == len(fresh_rows) == 2 * (3 + 3 + 3 + 3 + 1)
    assert 4 <= before.count(b"\n") < len(rows), "the kill should land mid-study"
    metrics = ["kendall", "spearman", "init_data_s", "query_data_s"]
    a = pd.DataFrame(rows).set_index("unit").sort_index()[metrics]
    b = pd.DataFrame(fresh_rows).set_index("unit").sort_index()[metrics]
    pd.testing.assert_frame_equal(a, b)
    # the tables differ only in measured fit/query times, which decide nothing: what
    # the configurations scored and the whole budget grid are the same
    k = pd.read_csv(tmp_path / "k" / "configs.csv")
    f = pd.read_csv(tmp_path / "f" / "configs.csv")
    pd.testing.assert_frame_equal(k[["predictor", "kendall"]], f[["predictor", "kendall"]])
    decided = ["init_budget_s", "query_budget_s", "candidates", "best", "kendall"]
    k = pd.read_csv(tmp_path / "k" / "tradeoff.csv")[decided]
    pd.testing.assert_frame_equal(k, pd.read_csv(tmp_path / "f" / "tradeoff.csv")[decided])


# ---- compare ---------------------------------------------------------------------------


def _compare(out: Path, npz: str) -> list[str]:
    return [
        *NASPRED, "compare", "synflow", "-t", "nasbench201/cifar10-lc", "--n-archs", "24",
        "--batch-size", "8", "--n-boot", "50", "--live-baseline", "nwot", "--npz", npz,
        "--no-progress", "--out", str(out),
    ]  # fmt: skip


def test_killed_compare_resumes_to_the_uninterrupted_tables(shared_data, tmp_path):
    npz = str(shared_data / "cifar10_sample.npz")
    killed, fresh = tmp_path / "killed", tmp_path / "fresh"
    journal = killed / "scores.journal.jsonl"
    before = kill_after(_compare(killed, npz), journal, lines=2)
    assert not (killed / "compare.csv").exists()  # killed before its tables
    run_to_end(_compare(killed, npz))
    rows = assert_no_unit_ran_twice(journal, before, "unit")
    assert len(rows) == 6 and 2 <= before.count(b"\n") < 6  # 24 archs, 4 a unit
    run_to_end(_compare(fresh, npz))
    for name in ("compare.csv", "scores.csv", "similarity.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(killed / name), pd.read_csv(fresh / name))
    scores = pd.read_csv(fresh / "scores.csv")
    assert scores["synflow"].notna().sum() >= 20 and scores["synflow"].nunique() > 10


# ---- make-benchmark --------------------------------------------------------------------


def _benchmark(out: Path, npz: str) -> list[str]:
    return [
        *NASPRED, "make-benchmark", "--out", str(out), "--n-archs", "6", "--npz", npz,
        "--epochs", "1", "--batch-size", "64", "-C", "8", "-N", "1", "--train-images", "128",
        "--val-images", "64", "--backend", "serial", "--no-progress",
    ]  # fmt: skip


def test_killed_make_benchmark_resumes_to_the_uninterrupted_file(shared_data, tmp_path):
    npz = str(shared_data / "cifar10_sample.npz")
    killed, fresh = tmp_path / "killed.jsonl", tmp_path / "fresh.jsonl"
    before = kill_after(_benchmark(killed, npz), killed, lines=3)  # header + 2 archs
    run_to_end(_benchmark(killed, npz))
    records = assert_no_unit_ran_twice(killed, before, "arch")[1:]
    assert 3 <= before.count(b"\n") < 7
    run_to_end(_benchmark(fresh, npz))
    fresh_records = [json.loads(line) for line in fresh.read_text().splitlines()[1:]]
    assert len(records) == len(fresh_records) == 6
    by_arch = {r["arch"]: r for r in fresh_records}
    for record in records:  # the same training, whatever was interrupted
        other = by_arch[record["arch"]]
        for field in ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "params"):
            np.testing.assert_allclose(record[field], other[field], rtol=1e-6)


# ---- NAS loop --------------------------------------------------------------------------

NAS_LOOP = """
    import sys
    from functools import partial
    from naspred.benchmarks import load_suite_zero
    from naspred.experiments.nas_loop import run_search_experiment
    from naspred.search import predictor_guided_search, random_search, regularized_evolution
    from naspred.spaces import get_space

    [task] = load_suite_zero(sys.argv[1] + "/zc_nasbench201.json")[:1]
    guided = partial(predictor_guided_search, predictor="xgb", predictor_kw={"n_estimators": 50})
    history = run_search_experiment(
        task, get_space("nasbench201"),
        # the predictor-guided runs first: they are the slow ones the kill lands among
        {"xgb-guided": guided, "random": random_search, "evolution": regularized_evolution},
        budget=60, seeds=range(4), progress=False, store=sys.argv[2])
    history.drop(columns=["run_s", "elapsed_s"]).to_csv(sys.argv[3], index=False)
"""


def test_killed_nas_loop_resumes_to_the_uninterrupted_history(suite_zero_dir, tmp_path):
    cmd = _child(tmp_path, "nas_loop", NAS_LOOP)
    killed, fresh = tmp_path / "killed.jsonl", tmp_path / "fresh.jsonl"
    args = [str(suite_zero_dir), str(killed), str(tmp_path / "killed.csv")]
    before = kill_after([*cmd, *args], killed, lines=2)
    run_to_end([*cmd, *args])
    rows = assert_no_unit_ran_twice(killed, before, "unit")
    assert len(rows) == 12 and 2 <= before.count(b"\n") < 12
    run_to_end([*cmd, str(suite_zero_dir), str(fresh), str(tmp_path / "fresh.csv")])
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "killed.csv"), pd.read_csv(tmp_path / "fresh.csv")
    )


# ---- transfer --------------------------------------------------------------------------


def _transfer(store: Path, out: Path, suite_zero_dir: Path) -> list[str]:
    return [
        *NASPRED, "transfer", "--suite-zero-dir", str(suite_zero_dir),
        "-p", "xgb:n_estimators=30,encoding=graph_features", "--train-sizes", "30,60",
        "--finetune-archs", "10", "--seeds", "0,1", "--test-size", "200", "--no-progress",
        "--store", str(store), "--out", str(out),
    ]  # fmt: skip


def test_killed_transfer_resumes_to_the_uninterrupted_result(suite_zero_dir, tmp_path):
    killed, fresh = tmp_path / "killed.jsonl", tmp_path / "fresh.jsonl"
    before = kill_after(_transfer(killed, tmp_path / "k", suite_zero_dir), killed, lines=3)
    assert not (tmp_path / "k").exists()  # killed before its tables
    run_to_end(_transfer(killed, tmp_path / "k", suite_zero_dir))
    rows = assert_no_unit_ran_twice(killed, before, "unit")
    run_to_end(_transfer(fresh, tmp_path / "f", suite_zero_dir))
    fresh_rows = [json.loads(line) for line in fresh.read_text().splitlines()]
    # per seed: plain x 2 n, finetune x 2 n, target-only
    assert len(rows) == len(fresh_rows) == 2 * (2 + 2 + 1)
    assert 3 <= before.count(b"\n") < len(rows), "the kill should land mid-study"
    metrics = ["kendall", "spearman", "mae", "fit_archs"]
    a = pd.DataFrame(rows).set_index("unit").sort_index()[metrics]
    b = pd.DataFrame(fresh_rows).set_index("unit").sort_index()[metrics]
    pd.testing.assert_frame_equal(a, b)
    k = pd.read_csv(tmp_path / "k" / "summary.csv")
    f = pd.read_csv(tmp_path / "f" / "summary.csv")
    columns = ["pair", "predictor", "mode", "train_size", "k", "kendall_mean"]
    pd.testing.assert_frame_equal(k[columns], f[columns])
