"""``--backend ray --ray-address`` against a live Ray cluster on loopback.

The fixture starts a real Ray head (``ray start --head --block``) on 127.0.0.1 with a
free port and a temporary directory of its own, and stops exactly that cluster in
teardown: the blocking ``ray start`` is sent SIGTERM (it stops the processes it
started), and anything still running from its temporary directory is killed by pid.
``ray stop`` is never used: it would stop every Ray process of the user, other test
runs' included. The CLI runs in subprocesses: this test process must not hold a Ray
connection of its own (``parallel_map`` reuses one it finds).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 120  # seconds for the head to listen (a loaded 2-core machine is slow)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _env() -> dict[str, str]:
    """This checkout's naspred on the cluster's workers and in the CLI processes."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["RAY_USAGE_STATS_ENABLED"] = "0"
    # a token in ~/.ray (from the user's own clusters) would turn on token
    # authentication for this head but not for its drivers; this cluster needs none
    env["RAY_AUTH_MODE"] = "disabled"
    env.pop("RAY_ADDRESS", None)
    return env


def _pids_using(directory: str) -> list[int]:
    """Processes whose command line names ``directory`` (this cluster's own)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if directory in cmdline:
            found.append(int(entry.name))
    return found


def _stop(head: subprocess.Popen, temp_dir: str) -> None:
    head.send_signal(signal.SIGTERM)
    try:
        head.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(head.pid, signal.SIGKILL)  # its own session: only this cluster
        head.wait(timeout=30)
    deadline = time.monotonic() + 30
    while (left := _pids_using(temp_dir)) and time.monotonic() < deadline:
        time.sleep(0.5)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[str]:
    """``127.0.0.1:PORT`` of a Ray head started for this module, 2 CPUs."""
    pytest.importorskip("ray", reason="ray not installed (pip install 'naspred[ray]')")
    ray_cli = shutil.which("ray")
    if ray_cli is None or sys.platform != "linux":
        pytest.skip("needs the `ray` command on Linux")
    port = _free_port()
    # short: Ray puts Unix sockets in it, whose paths are limited to ~107 bytes
    temp_dir = tempfile.mkdtemp(prefix="nsr", dir="/tmp")
    log = open(Path(temp_dir) / "head.log", "w")  # noqa: SIM115 - closed in teardown
    head = subprocess.Popen(
        [ray_cli, "start", "--head", "--node-ip-address", "127.0.0.1", "--port", str(port),
         "--num-cpus", "2", "--include-dashboard", "false", "--disable-usage-stats",
         "--temp-dir", temp_dir, "--block"],
        stdout=log, stderr=subprocess.STDOUT, env=_env(), start_new_session=True,
    )  # fmt: skip
    try:
        # the port opens seconds before the node can take a driver: wait for ray start's
        # own word that the runtime is up
        deadline = time.monotonic() + START_TIMEOUT
        while "Ray runtime started" not in _tail(temp_dir, 100_000):
            if head.poll() is not None:
                pytest.fail(f"ray start exited ({head.returncode}): {_tail(temp_dir)}")
            if time.monotonic() > deadline:
                pytest.fail(f"no Ray head on port {port} after {START_TIMEOUT} s")
            time.sleep(0.2)
        socket.create_connection(("127.0.0.1", port), timeout=5).close()  # on loopback
        yield f"127.0.0.1:{port}"
    finally:
        _stop(head, temp_dir)
        log.close()
        shutil.rmtree(temp_dir, ignore_errors=True)


def _tail(temp_dir: str, chars: int = 2000) -> str:
    return (Path(temp_dir) / "head.log").read_text()[-chars:]


def _compute(out: Path, npz: Path, *backend: str) -> subprocess.CompletedProcess:
    args = [sys.executable, "-m", "naspred", "proxies", "compute", "-t", "nasbench201/cifar10-lc",
            "-P", "params,synflow,jacov,nwot", "--n-archs", "3", "--seed", "1", "--npz", str(npz),
            "--batch-size", "8", "--chunk-size", "1", "--no-progress", "-v", "--out", str(out),
            *backend]  # fmt: skip
    return subprocess.run(args, capture_output=True, text=True, env=_env(), cwd=out.parent)


def _scores(out: Path) -> dict[str, dict[str, float]]:
    """arch -> proxy -> score of a run's output (times left out: they are wall times)."""
    [records] = json.loads((out / "zc_nasbench201.json").read_text())["nasbench201"].values()
    return {
        arch: {k: v["score"] for k, v in record.items() if isinstance(v, dict)}
        for arch, record in records.items()
    }


def test_proxies_on_a_live_cluster_equal_the_local_backend(
    ray_cluster: str, shared_data: Path, tmp_path: Path
) -> None:
    npz = shared_data / "cifar10_sample.npz"
    on_ray = _compute(tmp_path / "ray", npz, "--backend", "ray", "--ray-address", ray_cluster)
    assert on_ray.returncode == 0, on_ray.stderr[-3000:]
    # it attached to this cluster rather than starting one of its own
    assert f"connecting to the Ray cluster at {ray_cluster}" in on_ray.stderr
    local = _compute(tmp_path / "local", npz, "--backend", "local", "--n-jobs", "2")
    assert local.returncode == 0, local.stderr[-3000:]
    ray_scores, local_scores = _scores(tmp_path / "ray"), _scores(tmp_path / "local")
    assert len(ray_scores) == 3
    assert all(set(s) == {"params", "synflow", "jacov", "nwot"} for s in ray_scores.values())
    assert all(v is not None for s in ray_scores.values() for v in s.values())
    assert ray_scores == local_scores  # exactly: same archs, seeds, batch, torch threads


def test_an_address_where_no_cluster_runs_is_one_line_and_exit_2(tmp_path: Path) -> None:
    port = _free_port()  # nothing listens there
    args = [sys.executable, "-m", "naspred", "proxies", "compute", "-t", "nasbench201/cifar10-lc",
            "-P", "params", "--n-archs", "2", "--backend", "ray", "--ray-address",
            f"127.0.0.1:{port}", "--no-progress", "--out", str(tmp_path)]  # fmt: skip
    proc = subprocess.run(args, capture_output=True, text=True, env=_env(), cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"error: no Ray cluster answers at 127.0.0.1:{port}")
    assert proc.stderr.count("\n") == 1 and proc.stdout == ""
