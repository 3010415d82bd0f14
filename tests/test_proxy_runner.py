"""Proxy-scoring runs: Suite-Zero json output, failures, resume after a kill, the CLI."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from naspred.benchmarks.suite_zero import load_suite_zero
from naspred.cli import app
from naspred.errors import NaspredError
from naspred.experiments.proxy_scoring import compute_task_scores, output_path, sidecar_paths

torch.set_num_threads(1)

ROOT = Path(__file__).resolve().parents[1]
#: cheap proxies that give the same value on every run with the same seed and batch
DETERMINISTIC = ["params", "synflow", "grad_norm", "snip"]
DEAD_CELL = "(1, 0, 1, 4, 0, 1)"  # logits do not depend on the input: jacov fails


@pytest.fixture(scope="module")
def nb201_file(suite_zero_dir: Path) -> Path:
    path = suite_zero_dir / "zc_nasbench201.json"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return path


@pytest.fixture(scope="module")
def cifar10(nb201_file: Path):
    return {t.dataset: t for t in load_suite_zero(nb201_file)}["cifar10"]


@pytest.fixture(scope="module")
def sample_npz(shared_data: Path) -> Path:
    path = shared_data / "cifar10_sample.npz"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return path


def _records(out_dir: Path, dataset: str = "cifar10") -> dict:
    data = json.loads(output_path(out_dir, "nasbench201").read_text())
    return data["nasbench201"][dataset]


def _scores(records: dict, proxies: list[str]) -> dict[str, dict[str, float]]:
    return {k: {p: r[p]["score"] for p in proxies} for k, r in records.items()}


def test_output_loads_as_a_task_and_failures_are_recorded(cifar10, sample_npz, tmp_path) -> None:
    keys = ["(3, 4, 3, 0, 0, 3)", DEAD_CELL, "(1, 3, 2, 2, 4, 3)"]  # with stored params
    out = output_path(tmp_path, "nasbench201")
    summary = compute_task_scores(
        cifar10,
        ["params", "jacov", "voting"],
        out_json=out,
        keys=keys,
        batch_size=16,
        backend="serial",
        npz=sample_npz,
        progress=False,
    )
    assert (summary.archs, summary.scored, summary.skipped, summary.failures) == (3, 3, 0, 1)
    assert summary.proxies == ["params", "jacov", "synflow", "snip", "voting"]
    (task,) = load_suite_zero(tmp_path)  # the directory, as `naspred correlations` reads it
    assert task.name == "nasbench201/cifar10" and list(task.keys) == keys
    assert task.proxy_names == ["jacov", "params", "snip", "synflow", "voting"]
    np.testing.assert_array_equal(task.val_accuracy, cifar10.val_accuracy[cifar10.index(keys)])
    # params is data-free and deterministic: it equals the stored Suite-Zero value
    np.testing.assert_allclose(
        task.proxies["params"], cifar10.proxies["params"][cifar10.index(keys)], rtol=1e-6
    )
    assert math.isnan(task.proxies["jacov"][1]) and np.isfinite(task.proxies["jacov"][[0, 2]]).all()
    assert _records(tmp_path)[DEAD_CELL]["jacov"]["score"] is None  # null, as Suite-Zero stores
    assert all(np.all(t > 0) for name, t in task.proxy_times.items() if name != "voting")
    # voting ranks 3 archs: 0, 1 or 2 pairwise wins each
    assert sorted(task.proxies["voting"]) == [0.0, 1.0, 2.0]
    _, failures = sidecar_paths(out)
    (failure,) = [json.loads(line) for line in failures.read_text().splitlines()]
    assert (failure["proxy"], failure["arch"], failure["dataset"]) == (
        "jacov",
        DEAD_CELL,
        "cifar10",
    )
    assert "constant" in failure["error"]


def test_the_json_rebuilds_from_the_journal_alone(cifar10, tmp_path) -> None:
    """The json is derived data: deleted (or not committed), it comes back from the
    journal with the ground truth, even when a later run scores another task."""
    keys = ["(3, 4, 3, 0, 0, 3)", "(1, 3, 2, 2, 4, 3)"]
    out = output_path(tmp_path, "nasbench201")
    compute_task_scores(
        cifar10, ["params"], out_json=out, keys=keys, backend="serial", progress=False
    )
    out.unlink()
    compute_task_scores(
        "nasbench201/cifar100", ["params"], 1, out, backend="serial", seed=5, progress=False
    )
    task = {t.dataset: t for t in load_suite_zero(out)}["cifar10"]
    np.testing.assert_array_equal(task.val_accuracy, cifar10.val_accuracy[cifar10.index(keys)])
    # a journal from before targets were journaled gets them on the next run of its task
    journal, _ = sidecar_paths(out)
    old = [json.loads(line) for line in journal.read_text().splitlines()]
    journal.write_text("".join(json.dumps({**r, "targets": None}) + "\n" for r in old))
    out.unlink()
    again = compute_task_scores(
        cifar10, ["params"], out_json=out, keys=keys, backend="serial", progress=False
    )
    assert again.scored == 0
    out.unlink()
    compute_task_scores(
        "nasbench201/cifar100", ["params"], 1, out, backend="serial", seed=5, progress=False
    )
    task = {t.dataset: t for t in load_suite_zero(out)}["cifar10"]
    np.testing.assert_array_equal(task.val_accuracy, cifar10.val_accuracy[cifar10.index(keys)])


def test_fresh_batches_draw_one_minibatch_per_arch(cifar10, sample_npz, tmp_path) -> None:
    keys = ["(3, 4, 3, 0, 0, 3)", "(1, 3, 2, 2, 4, 3)", "(0, 2, 4, 1, 3, 0)"]

    def run(where: str, fresh: bool, order: list[str], chunk: int = 3) -> dict:
        out = output_path(tmp_path / where, "nasbench201")
        compute_task_scores(
            cifar10,
            ["grad_norm", "params"],
            out_json=out,
            keys=order,
            batch_size=8,
            backend="serial",
            npz=sample_npz,
            progress=False,
            fresh_batches=fresh,
            chunk_size=chunk,
        )
        return _scores(_records(tmp_path / where), ["grad_norm", "params"])

    shared, fresh = run("shared", False, keys), run("fresh", True, keys)
    # a batch per arch, chosen by the arch key: chunking and order do not matter
    assert run("fresh_again", True, keys[::-1], chunk=1) == fresh
    for key in keys:
        assert fresh[key]["params"] == shared[key]["params"]  # data-free: unchanged
        assert fresh[key]["grad_norm"] != pytest.approx(shared[key]["grad_norm"], rel=1e-3)
    with pytest.raises(NaspredError, match="fresh_batches: True -> False"):
        run("fresh", False, keys)


def test_scoring_without_ground_truth_and_changed_settings_refused(tmp_path) -> None:
    out = output_path(tmp_path, "nasbench201")
    summary = compute_task_scores(
        "nasbench201/cifar100", ["params"], 3, out, backend="serial", seed=5, progress=False
    )
    (task,) = load_suite_zero(out)
    assert task.name == "nasbench201/cifar100" and len(task) == 3 and summary.data == "none"
    assert np.isnan(task.val_accuracy).all()  # unknown: null in the file
    assert len(set(task.keys)) == 3 and np.all(task.proxies["params"] > 0)
    again = compute_task_scores(
        "nasbench201/cifar100", ["params"], 3, out, backend="serial", seed=5, progress=False
    )
    assert (again.scored, again.skipped) == (0, 3)
    with pytest.raises(NaspredError, match="seed: 5 -> 6"):
        compute_task_scores(
            "nasbench201/cifar100", ["params"], 3, out, backend="serial", seed=6, progress=False
        )


def test_a_killed_run_resumes_and_equals_an_uninterrupted_one(
    cifar10, nb201_file, sample_npz, tmp_path
) -> None:
    common = dict(seed=0, batch_size=16, npz=sample_npz, progress=False)
    reference = compute_task_scores(
        cifar10,
        DETERMINISTIC,
        6,
        output_path(tmp_path / "ref", "nasbench201"),
        backend="serial",
        **common,
    )
    assert reference.scored == 6

    run_dir = tmp_path / "run"
    journal, _ = sidecar_paths(output_path(run_dir, "nasbench201"))
    command = [
        sys.executable, "-m", "naspred.cli", "proxies", "compute",
        "--task", "nasbench201/cifar10", "--suite-zero-dir", str(nb201_file),
        "--proxy", ",".join(DETERMINISTIC), "--n-archs", "6", "--seed", "0",
        "--batch-size", "16", "--npz", str(sample_npz), "--backend", "serial",
        "--chunk-size", "1", "--out", str(run_dir), "--no-progress",
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        command, cwd=ROOT, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    lines = 0
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            lines = len(journal.read_text().splitlines()) if journal.exists() else 0
            if lines >= 2:
                break
            time.sleep(0.01)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the run's own process group
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL, f"the run ended before the kill: {err.decode()}"
    at_kill = len(journal.read_text().splitlines())
    assert 2 <= at_kill < 6
    # what was written before the kill is a complete, loadable file of the scored archs
    (partial,) = load_suite_zero(run_dir)
    assert len(partial) >= at_kill - 1
    # a write cut short by a kill leaves half a line: it is dropped, that arch redone
    with journal.open("a") as fh:
        fh.write('{"space": "nasbench201", "dataset": "cifar10", "arch": "(0, 0,')

    resumed = compute_task_scores(
        cifar10, DETERMINISTIC, 6, output_path(run_dir, "nasbench201"), backend="serial", **common
    )
    assert (resumed.skipped, resumed.scored) == (at_kill, 6 - at_kill)
    assert len(journal.read_text().splitlines()) == 6  # one line per arch, none twice
    ours, ref = _records(run_dir), _records(tmp_path / "ref")
    assert list(ours) == list(ref) or sorted(ours) == sorted(ref)
    mine, theirs = _scores(ours, DETERMINISTIC), _scores(ref, DETERMINISTIC)
    for key in ref:
        np.testing.assert_allclose(
            [mine[key][p] for p in DETERMINISTIC], [theirs[key][p] for p in DETERMINISTIC],
            rtol=1e-6, err_msg=key,
        )  # fmt: skip
        assert ours[key]["val_accuracy"] == ref[key]["val_accuracy"]


def test_cli_end_to_end_with_local_workers(nb201_file, sample_npz, tmp_path) -> None:
    runner = CliRunner()
    listed = runner.invoke(app, ["proxies", "list"])
    assert listed.exit_code == 0 and "| synflow" in listed.output
    out = tmp_path / "zc"
    args = [
        "proxies", "compute", "--task", "nasbench201/cifar10",
        "--suite-zero-dir", str(nb201_file), "--proxy", "params,synflow", "-P", "snip,voting",
        "--n-archs", "3", "--batch-size", "16", "--npz", str(sample_npz), "--out", str(out),
        "--no-progress",
    ]  # fmt: skip
    # one spawned worker: the pickled chunks and the batch they carry are what is tested
    result = runner.invoke(app, [*args, "--backend", "local", "--n-jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "3 archs (3 scored now, 0 already done), 5 proxies, 0 failure(s)" in result.output
    # the local workers give what this process gives
    serial = tmp_path / "serial"
    result = runner.invoke(app, [*args[:-2], str(serial), "--no-progress", "--backend", "serial"])
    assert result.exit_code == 0, result.output
    names = ["params", "synflow", "snip", "jacov", "voting"]  # voting pulled in jacov
    a, b = _scores(_records(out), names), _scores(_records(serial), names)
    assert sorted(a) == sorted(b)
    for key in a:
        np.testing.assert_allclose([a[key][p] for p in names], [b[key][p] for p in names], 1e-6)
    # the output feeds the correlation study directly
    study = runner.invoke(
        app, ["correlations", "--suite-zero-dir", str(out), "--out", str(tmp_path / "t"),
              "--no-progress"],
    )  # fmt: skip
    assert study.exit_code == 0, study.output
    assert "1 task(s), 5 (task, proxy) pairs" in study.output
    bad = runner.invoke(app, ["proxies", "compute", "--task", "nasbench999/x", "-P", "params"])
    assert bad.exit_code == 2 and "error: no task matches 'nasbench999/x'" in bad.output


@pytest.fixture
def own_batch_proxy():
    """A proxy whose 'paper' fixes a batch of 5: it scores the sum of its labels."""
    from naspred.proxies import engine, register

    @register("_test_own5", needs=("data",), batch_size=5)
    def _own(ctx) -> float:
        x, y = ctx.batch_of(5)
        assert x.shape[0] == 5
        return float(y.sum() * 1000 + x.sum())

    yield "_test_own5"
    engine._REGISTRY.pop("_test_own5")


def test_a_proxy_reads_the_batch_its_paper_fixes(
    cifar10, sample_npz, tmp_path, own_batch_proxy
) -> None:
    from naspred.data.images import BatchProvider

    keys = ["(3, 4, 3, 0, 0, 3)", "(1, 3, 2, 2, 4, 3)"]
    provider = BatchProvider.from_source("cifar10", npz=sample_npz)

    def expected(seed: int) -> float:
        x, y = provider.batch(5, seed)
        return float(y.sum() * 1000 + x.sum())

    def run(where: str, fresh: bool, proxies: list[str]) -> dict:
        compute_task_scores(
            cifar10,
            proxies,
            out_json=output_path(tmp_path / where, "nasbench201"),
            keys=keys,
            batch_size=8,
            backend="serial",
            npz=sample_npz,
            progress=False,
            fresh_batches=fresh,
        )
        return _scores(_records(tmp_path / where), proxies)

    shared = run("shared", False, [own_batch_proxy, "grad_norm"])
    # the batch of 5 is drawn as a run of batch size 5 would draw it, for every arch
    assert {k: v[own_batch_proxy] for k, v in shared.items()} == pytest.approx(
        dict.fromkeys(keys, expected(0)), rel=1e-6
    )
    # the run's own batch (8) is unchanged by the proxy that reads another size
    alone = run("alone", False, ["grad_norm"])
    assert {k: v["grad_norm"] for k, v in shared.items()} == {
        k: v["grad_norm"] for k, v in alone.items()
    }
    fresh = run("fresh", True, [own_batch_proxy])
    from naspred.experiments.proxy_scoring import _key_seed

    for key in keys:  # fresh batches: one per arch, of the proxy's size, by the arch key
        assert fresh[key][own_batch_proxy] == pytest.approx(expected(_key_seed(0, key)), rel=1e-6)


def test_a_batch_size_without_data_or_an_undrawn_size_is_refused(own_batch_proxy) -> None:
    from naspred.proxies import ProxyFailure, register, score_archs
    from naspred.spaces.nasbench201 import NasBench201Arch, NasBench201Space

    with pytest.raises(NaspredError, match="batch_size=4 needs needs=\\('data',\\)"):
        register("_test_nodata", batch_size=4)(lambda ctx: 0.0)
    batch = (torch.zeros(8, 3, 32, 32), torch.zeros(8, dtype=torch.long))
    failures: list[ProxyFailure] = []
    scores, _ = score_archs(
        NasBench201Space(),
        [NasBench201Arch.from_key("(3, 4, 3, 0, 0, 3)")],
        [own_batch_proxy],
        "cifar10",
        batch,
        failures=failures,
    )
    # scored without its batch of 5: recorded, naming the size and the fix
    assert math.isnan(scores[own_batch_proxy][0])
    assert "no minibatch of 5 images" in failures[0].error and "batch_size=5" in failures[0].error
