"""The ensemble predictor: the mean of its members, fitted alike, reading what they read."""

from __future__ import annotations

import numpy as np
import pytest

from naspred.benchmarks import load_tasks
from naspred.errors import InvalidInputError, UnknownNameError
from naspred.predictors import make_predictor, task_info

MEMBERS = ("xgb:encoding=graph_features,n_estimators=20", "rf:n_estimators=20", "wl_gp")


@pytest.fixture(scope="module")
def lc():
    from naspred.spaces import get_space

    [task] = load_tasks(["nasbench201/cifar10-lc"])
    space = get_space(task.space)
    return task, [space.from_key(k) for k in task.keys[:90]]


def test_ensemble_is_the_mean_of_its_members(lc) -> None:
    task, archs = lc
    y = np.asarray(task.val_accuracy[:60], dtype=float)
    ens = make_predictor("ensemble", members=MEMBERS, seed=3).fit(archs[:60], y)
    alone = [make_predictor(m, seed=3).fit(archs[:60], y).query(archs[60:]) for m in MEMBERS]
    np.testing.assert_allclose(ens.query(archs[60:]), np.mean(alone, axis=0), rtol=1e-9)
    assert [type(m).name for m in ens.members_] == ["xgb", "rf", "wl_gp"]
    assert 40 < np.median(ens.query(archs[60:])) < 100  # in accuracy units


def test_ensemble_from_a_spec_string_is_the_keyword_one(lc) -> None:
    # the members' own commas stay inside the brackets; ';' separates the members
    task, archs = lc
    y = np.asarray(task.val_accuracy[:60], dtype=float)
    text = "ensemble:members=[" + "; ".join(MEMBERS) + "],seed=3"
    from_text = make_predictor(text).fit(archs[:60], y)
    assert from_text.members == MEMBERS and from_text.seed == 3
    keyword = make_predictor("ensemble", members=MEMBERS, seed=3).fit(archs[:60], y)
    np.testing.assert_array_equal(from_text.query(archs[60:]), keyword.query(archs[60:]))
    with pytest.raises(InvalidInputError, match="unclosed"):
        make_predictor("ensemble:members=[xgb; rf")


def test_ensemble_reads_what_its_members_read(lc) -> None:
    task, archs = lc
    rows = np.arange(60)
    ens = make_predictor("ensemble", members=("zc_xgb:proxies=synflow,n_estimators=20", "rf"))
    assert ens.needs.proxies == ("synflow",)
    ens.fit(archs[:60], task.val_accuracy[rows], task_info(task, rows, ens.needs))
    assert np.isfinite(ens.query(archs[:5], task_info(task, rows[:5], ens.needs))).all()


def test_ensemble_errors() -> None:
    with pytest.raises(InvalidInputError, match="at least one member"):
        make_predictor("ensemble", members=())
    with pytest.raises(UnknownNameError, match="nope"):
        make_predictor("ensemble", members=("xgb", "nope"))
    with pytest.raises(InvalidInputError, match="tune its members instead"):
        make_predictor("ensemble", tune=True)
