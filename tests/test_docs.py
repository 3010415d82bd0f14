"""The pages under docs/ run: every python block of every page is executed, each in a
fresh interpreter (the recipes register proxies and predictors, which must not leak
into the rest of the suite), in a temporary directory, and its printed value checked.

``../shared/data`` in a block stands for the shared data directory, as in the README.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from naspred.benchmarks import load_tasks
from naspred.metrics import spearman

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "docs").glob("*.md"))
BLOCKS = [
    (page.name, i, body)
    for page in PAGES
    for i, body in enumerate(re.findall(r"```python\n(.*?)```", page.read_text(), re.S))
]


def _run_block(body: str, shared: Path, cwd: Path) -> float:
    code = body.replace("../shared/data", str(shared))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    [value] = done.stdout.split()
    return float(value)


def test_every_docs_block_is_known_here():
    # a new block needs its expected value below, so it cannot pass without being read
    assert [(page, i) for page, i, _ in BLOCKS] == [
        ("extending.md", 0),
        ("extending.md", 1),
        ("extending.md", 2),
    ]


def test_proxy_recipe(shared_data: Path, tmp_path: Path) -> None:
    # grad_l1 and grad_norm are both norms of the same weight gradients on the same
    # batch: over 12 NB201 cells they rank almost alike
    value = _run_block(BLOCKS[0][2], shared_data, tmp_path)
    assert value == pytest.approx(0.944, abs=0.01)


def test_predictor_recipe(shared_data: Path, tmp_path: Path) -> None:
    # ridge on the path encoding, 300 training archs: clearly better than chance on
    # the other 700, weaker than xgb on GRAF features (README: ~0.49 with 200)
    value = _run_block(BLOCKS[1][2], shared_data, tmp_path)
    assert value == pytest.approx(0.425, abs=0.01)


def test_task_source_recipe(shared_data: Path, tmp_path: Path) -> None:
    value = _run_block(BLOCKS[2][2], shared_data, tmp_path)
    # the same records, read back from CSV, give the embedded task's own number
    [lc] = load_tasks(["nasbench201/cifar10-lc"])
    mask = np.isfinite(lc.proxies["synflow"])
    assert value == pytest.approx(
        spearman(lc.val_accuracy[mask], lc.proxies["synflow"][mask]), abs=5e-4
    )
    assert (tmp_path / "my_tables" / "correlations.md").is_file()
