"""Rank correlations on fewer than 30 archs are flagged in the tables that show them."""

from __future__ import annotations

import numpy as np

from naspred.benchmarks import load_tasks
from naspred.experiments import run_correlation_study
from naspred.experiments.tradeoff import run_tradeoff_study, write_tradeoff_tables
from naspred.predictors.spec import parse_spec
from naspred.reports.tables import THIN_TEST_SET, thin_test_warning


def test_the_threshold():
    assert THIN_TEST_SET == 30 and thin_test_warning(30) == []
    [line, blank] = thin_test_warning(3)
    assert "has 3 archs (fewer than 30)" in line and blank == ""


def test_thin_correlations_are_flagged(tmp_path):
    [task] = load_tasks(["nasbench201/cifar10-lc"])
    study = run_correlation_study([task.subset(np.arange(12))], tmp_path / "thin", progress=False)
    md = (tmp_path / "thin" / "correlations.md").read_text()
    assert f"**Warning: {len(study.table)} correlation(s) rest on fewer than 30 archs**" in md
    assert "jacov on nasbench201/cifar10-lc (12)" in md
    run_correlation_study([task], tmp_path / "full", progress=False)
    assert "Warning" not in (tmp_path / "full" / "correlations.md").read_text()


def test_a_thin_tradeoff_test_set_is_flagged(tmp_path):
    [task] = load_tasks(["nasbench201/cifar10-lc"])
    small = task.subset(np.arange(12))
    results = run_tradeoff_study(
        small, [parse_spec("zc:jacov"), parse_spec("early_stopping")], tmp_path / "s.jsonl",
        query_epochs=(1,), seeds=(0,), test_size=6, progress=False,
    )  # fmt: skip
    write_tradeoff_tables(small, results, tmp_path / "t")
    md = (tmp_path / "t" / "tradeoff.md").read_text()
    assert "**Warning: the test set has 6 archs (fewer than 30).**" in md
