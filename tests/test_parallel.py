"""naspred.parallel.parallel_map: the same results from every backend, in input order."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from naspred.parallel import ParallelTaskError, TaskError, parallel_map


def _seeded_work(seed: int) -> tuple[int, float, int]:
    """A small real computation: a seeded random matrix's spectral norm (torch), and the
    torch thread count the worker runs with."""
    if seed < 0:
        raise RuntimeError(f"no matrix for seed {seed}")
    gen = torch.Generator().manual_seed(seed)
    a = torch.randn(40, 40, generator=gen, dtype=torch.float64)
    norm = float(torch.linalg.matrix_norm(a, ord=2))
    # the first item tends to finish last, so results must be put back in input order
    if seed == 0:
        time.sleep(0.3)
    return seed, norm, torch.get_num_threads()


def _fails_on_three(n: int) -> int:
    if n == 3:
        raise ValueError(f"three is not allowed (got {n})")
    return n * n


def _expected_norms(seeds: list[int]) -> list[float]:
    out = []
    for seed in seeds:
        a = torch.randn(40, 40, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
        out.append(float(np.linalg.norm(a.numpy(), 2)))
    return out


SEEDS = list(range(6))


def test_serial_gives_the_real_values_in_order() -> None:
    calls: list[int] = []
    results = parallel_map(
        _seeded_work,
        SEEDS,
        backend="serial",
        progress=False,
        on_result=lambda i, _r: calls.append(i),
    )
    assert [r[0] for r in results] == SEEDS
    np.testing.assert_allclose([r[1] for r in results], _expected_norms(SEEDS), rtol=1e-12)
    assert calls == SEEDS  # serial finishes in input order


def test_local_equals_serial_in_order_and_reports_failures() -> None:
    serial = parallel_map(_seeded_work, SEEDS, backend="serial", progress=False)
    finished: list[int] = []
    local = parallel_map(
        _seeded_work,
        [*SEEDS, -1],
        backend="local",
        n_jobs=2,
        progress=False,
        on_error="return",
        on_result=lambda i, _r: finished.append(i),
    )
    assert [r[:2] for r in local[:-1]] == [r[:2] for r in serial]  # bit-identical floats
    assert {r[2] for r in local[:-1]} == {1}  # torch_threads=1 in every worker
    assert sorted(finished) == [*SEEDS, 6]  # each reported once, as it finished
    error = local[-1]
    assert isinstance(error, TaskError) and (error.index, error.type) == (6, "RuntimeError")
    assert "_seeded_work" in error.traceback  # the worker's frame


def test_local_failure_raises_with_the_workers_traceback() -> None:
    with pytest.raises(ParallelTaskError, match="item 3 \\(3\\): ValueError: three") as info:
        parallel_map(_fails_on_three, range(5), backend="local", n_jobs=2, progress=False)
    assert info.value.error.index == 3
    assert "_fails_on_three" in info.value.error.traceback


def test_serial_failure_and_bad_arguments() -> None:
    results = parallel_map(_fails_on_three, [3, 2], backend="serial", on_error="return")
    assert isinstance(results[0], TaskError) and results[1] == 4
    with pytest.raises(ParallelTaskError):
        parallel_map(_fails_on_three, [1, 3], backend="serial", progress=False)
    assert parallel_map(_fails_on_three, [], backend="local") == []
    with pytest.raises(ValueError, match="unknown backend 'dask'"):
        parallel_map(_fails_on_three, [1], backend="dask")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n_jobs must be >= 1"):
        parallel_map(_fails_on_three, [1], n_jobs=0)


@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray", reason="ray not installed (pip install 'naspred[ray]')")
    if not ray.is_initialized():
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def test_ray_equals_serial_on_a_local_cluster(local_ray) -> None:
    serial = parallel_map(_seeded_work, SEEDS, backend="serial", progress=False)
    finished: list[int] = []
    ray_results = parallel_map(
        _seeded_work,
        SEEDS,
        backend="ray",
        n_jobs=2,
        progress=False,
        on_result=lambda i, _r: finished.append(i),
    )
    assert [r[:2] for r in ray_results] == [r[:2] for r in serial]
    assert {r[2] for r in ray_results} == {1}
    assert sorted(finished) == SEEDS
    results = parallel_map(_fails_on_three, range(5), backend="ray", on_error="return")
    assert results[4] == 16 and isinstance(results[3], TaskError)
    with pytest.raises(ParallelTaskError, match="three is not allowed"):
        parallel_map(_fails_on_three, range(5), backend="ray", progress=False)


def test_a_cluster_that_refuses_the_driver_is_a_naspred_error(monkeypatch) -> None:
    import socket

    from naspred.errors import NaspredError

    ray = pytest.importorskip("ray", reason="ray not installed (pip install 'naspred[ray]')")

    def refuse(**_kwargs: object) -> None:
        try:  # how ray.init reports a head that rejects the driver's token
            raise RuntimeError("InvalidAuthToken: Authentication token is missing")
        except RuntimeError as cause:
            raise ConnectionError("Failed to connect to Ray cluster at 10.0.0.5:6379") from cause

    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", refuse)
    with socket.socket() as listener:  # something answers, so the reachability check passes
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        address = f"127.0.0.1:{listener.getsockname()[1]}"
        with pytest.raises(NaspredError) as err:
            parallel_map(_fails_on_three, [1], backend="ray", address=address, progress=False)
    message = str(err.value)
    assert message.startswith(f"the Ray cluster at {address} did not take this driver")
    assert "InvalidAuthToken" in message and "RAY_AUTH_MODE=token" in message


_ORPHAN_SCRIPT = """
import os, sys, time
from pathlib import Path
from naspred.parallel import parallel_map

def hang(i):
    Path(sys.argv[1], f"{os.getpid()}.pid").write_text("")
    time.sleep(120)
    return i

if __name__ == "__main__":
    parallel_map(hang, [0, 1], n_jobs=2, progress=False)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by init) is not running anything
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_local_workers_exit_when_the_caller_is_killed(tmp_path) -> None:
    script = tmp_path / "hang.py"
    script.write_text(_ORPHAN_SCRIPT)
    pids_dir = tmp_path / "pids"
    pids_dir.mkdir()
    caller = subprocess.Popen([sys.executable, str(script), str(pids_dir)])
    try:
        deadline = time.monotonic() + 60
        while len(list(pids_dir.iterdir())) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        workers = [int(p.stem) for p in pids_dir.iterdir()]
        assert len(workers) == 2, "the workers never started"
        assert all(_alive(pid) for pid in workers)
    finally:
        caller.send_signal(signal.SIGKILL)
        caller.wait()
    deadline = time.monotonic() + 15
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in workers), "orphaned workers kept running"


# ---- the studies give the same numbers on every backend ------------------------------------
#
# Each runs its command twice, serially and on two local worker processes (one torch
# thread each), and asserts equal scores: a worker is a fresh process, so anything a
# unit read from the caller's state (a user's proxy registered only there, torch's
# thread count, a global seed) would show up here as a difference.

EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "examples" / "my_proxy.py"
LC_TASK = ["-t", "nasbench201/cifar10-lc", "--seeds", "0", "--test-size", "100"]


def _cli(args: list[str]) -> None:
    from typer.testing import CliRunner

    from naspred.cli import app

    result = CliRunner().invoke(app, [*args, "--no-progress"])
    assert result.exit_code == 0, result.output


def _metrics(store: Path, by: list[str]) -> pd.DataFrame:
    from naspred.journal import Journal

    frame = Journal(store).frame()
    assert (frame["status"] == "ok").all(), frame[["predictor", "status"]]
    return frame.set_index(by)[["kendall", "spearman", "mae", "rmse"]].sort_index()


def test_compare_scores_a_users_proxy_the_same_on_local_workers(
    suite_zero_dir: Path, shared_data: Path, tmp_path: Path
) -> None:
    npz = shared_data / "cifar10_sample.npz"
    base = [
        "compare", f"{EXAMPLE}:last_layer_grad_norm", "-t", "nasbench201/cifar10",
        "--suite-zero-dir", str(suite_zero_dir), "--npz", str(npz), "--n-archs", "5",
        "--batch-size", "2", "--n-boot", "20", "--live-baseline", "synflow",
    ]  # fmt: skip
    for backend in ("serial", "local"):  # 5 archs: units of 4 and 1, one per worker
        _cli([*base, "--backend", backend, "--n-jobs", "2", "--out", str(tmp_path / backend)])
    serial, local = (
        pd.read_csv(tmp_path / b / "scores.csv", index_col="arch") for b in ("serial", "local")
    )
    assert serial.shape == (5, 2 + 1 + 13)  # task, accuracy; new; 12 stored + 1 live
    assert np.all(np.isfinite(serial[["last_layer_grad_norm", "synflow (live)"]]))
    pd.testing.assert_frame_equal(local, serial, check_exact=True)
    assert (tmp_path / "local" / "compare.csv").read_text() == (
        tmp_path / "serial" / "compare.csv"
    ).read_text()


def test_predictor_study_metrics_are_the_same_on_local_workers(tmp_path: Path) -> None:
    # one predictor of each family: trees, GP, feed-forward net, GNN, Bayesian last layer
    specs = "xgb:n_estimators=50,gp,mlp:epochs=30,gcn:epochs=20,dngo"
    for backend in ("serial", "local"):
        _cli(
            ["predictors", *LC_TASK, "-p", specs, "--train-sizes", "20", "--backend", backend,
             "--n-jobs", "2", "--store", str(tmp_path / f"{backend}.jsonl"),
             "--out", str(tmp_path / backend)]
        )  # fmt: skip
    serial = _metrics(tmp_path / "serial.jsonl", ["predictor"])
    assert len(serial) == 5 and serial["kendall"].between(0.1, 0.9).all(), serial
    pd.testing.assert_frame_equal(
        _metrics(tmp_path / "local.jsonl", ["predictor"]), serial, check_exact=True
    )


def test_tradeoff_study_metrics_are_the_same_on_local_workers(tmp_path: Path) -> None:
    # learning-curve predictors (an LCE fit, a tree model on partial curves, a sum)
    specs = "lce,omni:n_estimators=50,sotl"
    for backend in ("serial", "local"):
        _cli(
            ["tradeoff", *LC_TASK, "-p", specs, "--train-sizes", "20", "--query-epochs", "2",
             "--backend", backend, "--n-jobs", "2", "--store", str(tmp_path / f"{backend}.jsonl"),
             "--out", str(tmp_path / backend)]
        )  # fmt: skip
    by = ["predictor", "train_size", "epochs"]
    serial = _metrics(tmp_path / "serial.jsonl", by)
    assert len(serial) == 3 and np.isfinite(serial.to_numpy()).all(), serial
    pd.testing.assert_frame_equal(_metrics(tmp_path / "local.jsonl", by), serial, check_exact=True)


def _denormal_product() -> float:
    import torch

    return float((torch.tensor([1e-30]) * torch.tensor([1e-10])).item())


def test_flush_denormals_flushes_inside_and_restores(monkeypatch) -> None:
    import torch

    from naspred.parallel import flush_denormals

    assert _denormal_product() > 0  # torch's default keeps denormals
    with flush_denormals():
        assert _denormal_product() == 0.0
    assert _denormal_product() > 0
    torch.set_flush_denormal(True)
    try:
        with flush_denormals():
            pass
        assert _denormal_product() == 0.0  # a setting found on is left on
    finally:
        torch.set_flush_denormal(False)
    monkeypatch.setenv("NASPRED_DENORMALS", "keep")
    with flush_denormals():
        assert _denormal_product() > 0
