"""The quick commands start quickly, for the reasons they do (``perf/startup.py`` times
them): ``naspred tasks`` imports no torch and builds no task from the installed
packages, and choosing tasks reads only the sources that can hold them. Wall-time
thresholds would depend on the machine; these tests check the causes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from naspred.benchmarks import Task, analog_nasbench, nasbench_graph
from naspred.benchmarks import registry as reg
from naspred.benchmarks.registry import describe_tasks, load_tasks, task_table
from naspred.errors import BenchmarkFileError, UnknownTaskError

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """``python -X importtime ARGS`` on this checkout; stderr lists every module imported."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("NASPRED_SUITE_ZERO_DIR", None)
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *args], capture_output=True, text=True, env=env,
        cwd=cwd,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def _imported(stderr: str) -> set[str]:
    # "import time:  self [us] | cumulative | imported package", indented by depth
    return {line.rsplit("|", 1)[1].strip() for line in stderr.splitlines() if "|" in line}


def test_tasks_prints_the_full_table_without_importing_torch(tmp_path: Path) -> None:
    proc = _run("-m", "naspred", "tasks", cwd=tmp_path)
    imported = _imported(proc.stderr)
    assert "naspred.benchmarks.registry" in imported  # the log is read right
    assert not {m for m in imported if m.split(".")[0] == "torch"}
    # the table building every task gives, which the packages' metadata reproduces
    built = task_table(load_tasks())
    pd.testing.assert_frame_equal(describe_tasks(), built)
    assert proc.stdout == built.drop(columns=["source"]).to_markdown(index=False) + "\n"
    assert "| nasbench_graph/proteins       |    2021 | latency, params" in proc.stdout
    if nasbench_graph.is_available() and analog_nasbench.is_available():
        assert built["task"].tolist()[:2] == ["nasbench201/cifar10-lc", "nasbench_graph/cora"]
        assert built.set_index("task").loc["nasbench201/analognas_cifar10", "archs"] == 15625


def test_proxies_list_skips_pandas_and_prints_the_same_table(tmp_path: Path) -> None:
    from naspred.proxies import get_proxy, proxy_names

    proc = _run("-m", "naspred", "proxies", "list", cwd=tmp_path)
    assert "pandas" not in _imported(proc.stderr)
    rows = [
        {
            "proxy": n,
            "data": "yes" if get_proxy(n).needs else "no",
            "needs": "scores of " + ", ".join(get_proxy(n).depends)
            if get_proxy(n).population
            else ", ".join(sorted(get_proxy(n).needs)) or "-",
            "paper": get_proxy(n).paper,
        }
        # the built-in ones: other tests may have registered theirs in this process
        for n in proxy_names()
        if get_proxy(n).fn.__module__.startswith("naspred.proxies.")
    ]
    assert proc.stdout == pd.DataFrame(rows).to_markdown(index=False) + "\n"
    assert "| epe_nas   | yes    | input_grad" in proc.stdout
    assert "| voting    | no     | scores of " in proc.stdout


# ---- choosing tasks reads only the sources that can hold them --------------------------------


@pytest.fixture
def nb201_beside_a_broken_nb101(suite_zero_dir: Path, tmp_path: Path) -> Path:
    """A directory: the real NB201 records (a link) and a zc_nasbench101.json that is not JSON."""
    directory = tmp_path / "zc"
    directory.mkdir()
    (directory / "zc_nasbench201.json").symlink_to(suite_zero_dir / "zc_nasbench201.json")
    (directory / "zc_nasbench101.json").write_text('{"nasbench101": {"cifar10": ')
    return directory


def test_a_pattern_reads_only_its_spaces_suite_zero_file(nb201_beside_a_broken_nb101: Path) -> None:
    directory = nb201_beside_a_broken_nb101
    found = load_tasks(["nasbench201/*"], suite_zero=directory)
    assert [(t.name, len(t)) for t in found] == [
        ("nasbench201/cifar10", 15625),
        ("nasbench201/cifar100", 15625),
    ]
    [one] = load_tasks(["nasbench20?/cifar100"], suite_zero=directory)
    assert one.name == "nasbench201/cifar100" and one.has_proxy("synflow").sum() == 491
    # a pattern that may match any space reads every file, so the broken one is found
    for pattern in ("nasbench101/cifar10", "*/cifar10", "*"):
        with pytest.raises(BenchmarkFileError, match="zc_nasbench101.json.*not valid JSON"):
            load_tasks([pattern], suite_zero=directory)
    with pytest.raises(BenchmarkFileError, match="zc_nasbench101.json"):
        describe_tasks(suite_zero=directory)


def test_the_cli_with_one_task_runs_past_a_broken_file(nb201_beside_a_broken_nb101: Path) -> None:
    from typer.testing import CliRunner

    from naspred.cli import app

    args = ["proxies", "compute", "-t", "nasbench201/cifar10", "-P", "params", "--n-archs", "2",
            "--backend", "serial", "--suite-zero-dir", str(nb201_beside_a_broken_nb101),
            "--no-progress", "--out", str(nb201_beside_a_broken_nb101.parent / "out")]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "nasbench201/cifar10: 2 archs (2 scored now" in result.output
    broken = CliRunner().invoke(app, [*args[:3], "nasbench101/cifar10", *args[4:]])
    assert broken.exit_code == 2 and broken.output.startswith("error: ")
    assert "zc_nasbench101.json" in broken.output


def test_a_file_holding_another_spaces_tasks_is_an_error(tmp_path: Path) -> None:
    record = {"(0, 0, 0, 0, 0, 0)": {"val_accuracy": 50.0, "params": {"score": 1.0}}}
    (tmp_path / "zc_nasbench101.json").write_text(json.dumps({"nasbench201": {"c": record}}))
    with pytest.raises(BenchmarkFileError, match="named after space 'nasbench101' but holds"):
        load_tasks(suite_zero=tmp_path)
    # a name that is no space says nothing about the content: read for every pattern
    (tmp_path / "zc_nasbench101.json").rename(tmp_path / "zc_mine.json")
    [task] = load_tasks(["nasbench201/c"], suite_zero=tmp_path)
    assert task.name == "nasbench201/c" and len(task) == 1


def test_embedded_packages_are_read_only_for_their_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[tuple] = []

    def graph(datasets: list[str]) -> list:
        read.append(("graph", tuple(datasets)))
        return [Task("nasbench_graph", d, ("k",), np.array([50.0])) for d in datasets]

    def analog() -> list:
        read.append(("analog",))
        return []

    monkeypatch.setattr(nasbench_graph, "is_available", lambda: True)
    monkeypatch.setattr(nasbench_graph, "load_nasbench_graph", graph)
    monkeypatch.setattr(analog_nasbench, "is_available", lambda: True)
    monkeypatch.setattr(analog_nasbench, "load_analog_nasbench", analog)
    [task] = load_tasks(["nasbench201/cifar10-lc"])
    assert task.name == "nasbench201/cifar10-lc" and len(task) == 1000
    assert read == []
    found = load_tasks(["nasbench_graph/c*", "nasbench201/cifar10-lc"])
    assert read == [("graph", ("cora", "citeseer", "cs", "computers"))]
    assert [t.name for t in found][-1] == "nasbench201/cifar10-lc"
    read.clear()
    with pytest.raises(UnknownTaskError, match="no task matches 'nasbench201/analognas_x'"):
        load_tasks(["nasbench201/analognas_x"])
    assert read == []  # the message lists names from metadata, not by loading them
    assert reg.ANALOG_TASK == "nasbench201/analognas_cifar10"
