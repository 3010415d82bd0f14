"""Shared fixtures: the real benchmark data in ../shared/data (skipped where absent)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from naspred.spaces.base import LabelledDAG

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("NASPRED_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(autouse=True)
def _private_data_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:
    """No test reads or writes the user's real data cache (``naspred data fetch``'s)."""
    monkeypatch.setenv("NASPRED_DATA", str(tmp_path_factory.mktemp("naspred-data")))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared benchmark data not found at {SHARED_DATA} (set NASPRED_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def suite_zero_dir(shared_data: Path) -> Path:
    path = shared_data / "suite_zero"
    if not path.is_dir():
        pytest.skip(f"Suite-Zero records not found at {path}")
    return path


def conv_dag(n: int, edges: list[tuple[int, int]]) -> LabelledDAG:
    """An ``n``-node DAG with these edges: input, ``n - 2`` conv nodes, output."""
    adj = np.zeros((n, n), dtype=int)
    for i, j in edges:
        adj[i, j] = 1
    ops = ("input", *["conv"] * (n - 2), "output")
    return LabelledDAG(adj, ops, ("input", "conv", "output"))


class NB201Split:
    """The Suite-Zero NB201 cifar10 task, its archs, and a fixed split: 500 test
    archs, then ``n_train`` training archs (seeded permutation, seed 0)."""

    def __init__(self, suite_zero_dir: Path, n_train: int) -> None:
        from naspred.benchmarks import load_suite_zero
        from naspred.spaces.nasbench201 import NasBench201Arch

        tasks = load_suite_zero(suite_zero_dir / "zc_nasbench201.json")
        self.task = next(t for t in tasks if t.dataset == "cifar10")
        self.archs = [NasBench201Arch.from_key(k) for k in self.task.keys]
        self.y = self.task.val_accuracy
        perm = np.random.default_rng(0).permutation(len(self.task))
        self.test, self.train = perm[:500], perm[500 : 500 + n_train]

    def pick(self, rows: np.ndarray) -> list:
        return [self.archs[i] for i in rows]

    def random_tau(self) -> float:
        """Kendall tau of a random predictor on the test archs (about 0)."""
        from naspred.metrics import kendall

        scores = np.random.default_rng(1).normal(size=len(self.test))
        return kendall(self.y[self.test], scores)
