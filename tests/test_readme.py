"""The README runs: every python block is executed, every command is run.

Placeholders the README uses for the reader's own paths (``path/to/zc_json``,
``DIR``) stand for the shared Suite-Zero records here, and ``../shared/data`` for
the shared data directory. Commands run in a temporary directory, so their
``results/`` and ``my_tables/`` never touch the checkout. Commands that train
networks for hours (``make-benchmark`` of 200 archs x 20 epochs, and the trade-off
on its output) run only under ``-m slow``.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", README, re.S)
PYTHON = [body for kind, body in BLOCKS if kind == "python"]
#: commands too long for the fast suite (they train networks)
SLOW = ("naspred make-benchmark", "naspred tradeoff --curves my_curves.jsonl")


def _commands() -> list[str]:
    """Every ``naspred`` command of the README's bash blocks, continuation lines joined,
    comments dropped (``pip install`` and ``pytest`` are what CI itself runs)."""
    out = []
    for kind, body in BLOCKS:
        if kind != "bash":
            continue
        for line in body.replace("\\\n", " ").splitlines():
            for part in line.split("#", 1)[0].split("&&"):
                part = " ".join(part.split())
                if part.startswith("naspred "):
                    out.append(part)
    return out


def _localise(text: str, shared: Path) -> str:
    suite_zero = str(shared / "suite_zero")
    text = text.replace("path/to/zc_json", suite_zero).replace("../shared/data", str(shared))
    # no internet here: the release comes from the shared copy, through the same download
    mirror = f"--no-progress --mirror file://{suite_zero}"
    text = re.sub(r"^(naspred data fetch suite-zero)\b", rf"\1 {mirror}", text)
    return re.sub(r"(?<=--suite-zero-dir )DIR\b", suite_zero, text)


def test_the_readme_has_what_this_file_runs():
    assert len(PYTHON) == 3 and len(_commands()) >= 7
    assert _commands()[0] == "naspred correlations"  # the main job comes first
    assert all(any(c.startswith(s) for c in _commands()) for s in SLOW)


@pytest.mark.parametrize("index", range(len(PYTHON)))
def test_python_block_runs(index: int, shared_data: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    code = _localise(PYTHON[index], shared_data)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, f"README.md python block {index + 1}", "exec"), {})
    values = [float(v) for v in printed.getvalue().split()]
    assert len(values) == 1
    if "spearman(" in code:  # synflow's Spearman on NB201 CIFAR-10 (Suite-Zero records)
        assert values[0] == pytest.approx(0.76, abs=0.03)
        assert (tmp_path / "my_tables" / "correlations.md").is_file()
    elif "BenchmarkOracle" in code:  # the NAS loop on NB201 strings: its best in 100 queries
        assert values[0] == 91.36  # (the benchmark's best: 91.57)
    else:  # xgb on GRAF features, 200 training archs of the LC benchmark
        assert 0.3 < values[0] < 0.8


def _run(command: str, shared: Path, cwd: Path) -> subprocess.CompletedProcess:
    args = shlex.split(_localise(command, shared))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "naspred", *args[1:]],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _git_status() -> str | None:
    """The checkout's ``git status``, or None where the tests run outside one."""
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        return None
    return subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=all"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


@pytest.mark.parametrize("command", [c for c in _commands() if not c.startswith(SLOW)])
def test_command_runs(command: str, shared_data: Path, tmp_path: Path) -> None:
    status = _git_status()
    done = _run(command, shared_data, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    if command.startswith("naspred tasks"):  # the task table, with what the source holds
        expected = "nasbench201/cifar100" if "--suite-zero-dir" in command else "cifar10-lc"
        assert done.stdout.startswith("| task") and expected in done.stdout
    if command.startswith("naspred data fetch"):  # into the test's own $NASPRED_DATA
        assert done.stdout.count("fetched ") == 5 and "sha256 recorded" in done.stdout
    if command.startswith("naspred correlations"):
        written = sorted(p.relative_to(tmp_path).parts[0] for p in tmp_path.rglob("*.md"))
        assert set(written) == {"my_tables" if "--out my_tables" in command else "results"}
    if command == _commands()[0] and status is not None:
        # the main job, run in a checkout, leaves `git status` clean: it touched nothing
        # there, and what it wrote here would be ignored there
        assert _git_status() == status
        written = [str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()]
        ignored = subprocess.run(
            ["git", "-C", str(ROOT), "check-ignore", "--no-index", "--stdin"],
            input="\n".join(written), capture_output=True, text=True,
        ).stdout.split()  # fmt: skip
        assert written and sorted(ignored) == sorted(written)
        # ... and reports every proxy naspred has on the embedded NB201 task
        from naspred.proxies import get_proxy, proxy_names

        ours = {n for n in proxy_names() if get_proxy(n).fn.__module__.startswith("naspred.")}
        table = pd.read_csv(tmp_path / "results/correlations/embedded/correlations.csv")
        on_lc = set(table.loc[table["task"] == "nasbench201/cifar10-lc", "proxy"])
        assert ours <= on_lc, sorted(ours - on_lc)


@pytest.mark.slow
def test_the_slow_commands_run(shared_data: Path, tmp_path: Path) -> None:
    for command in [c for c in _commands() if c.startswith(SLOW)]:
        done = _run(command, shared_data, tmp_path)
        assert done.returncode == 0, done.stderr[-2000:]
