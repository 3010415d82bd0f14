"""Learning-curve and hybrid predictors: early stopping, SoTL, SoTL-E, LCE, LcSVR, OMNI."""

from __future__ import annotations

import numpy as np
import pytest

from naspred.benchmarks import Task, load_suite_zero
from naspred.errors import NotFittedError
from naspred.experiments.tradeoff import synthetic_curve_task
from naspred.metrics import kendall
from naspred.predictors import (
    DataNeeds,
    MissingInfoError,
    curve_key,
    make_predictor,
    task_info,
)
from naspred.predictors.lce import MODELS, extrapolate_curves, fit_curve_model
from naspred.spaces import get_space


def _archs(n: int, seed: int = 0) -> list:
    space = get_space("nasbench201")
    rng = np.random.default_rng(seed)
    return [space.from_key(str(tuple(int(v) for v in rng.integers(0, 5, 6)))) for _ in range(n)]


def _curve_predictor(name: str, **params):
    """A training-free curve predictor, fitted (on nothing: it learns nothing)."""
    return make_predictor(name, **params).fit([], np.array([]))


def _crossing_curves(n: int = 60, epochs: int = 50, seed: int = 0):
    """exp3 curves whose early order is the reverse of their final order: the archs
    with the highest asymptote rise slowest."""
    rng = np.random.default_rng(seed)
    asym = rng.uniform(60.0, 95.0, n)
    rate = 0.5 - 0.012 * (asym - 60.0) + rng.normal(0, 0.01, n)  # 0.08 .. 0.5
    t = np.arange(1, epochs + 1)
    curves = asym[:, None] - (asym[:, None] - 10.0) * np.exp(-rate[:, None] * t)
    return curves + rng.normal(0, 0.2, curves.shape)


def test_data_needs_name_the_curve_metrics():
    assert DataNeeds(curve_epochs=3).info_keys() == ("curve:val_accuracy",)
    assert make_predictor("sotl", epochs=4).needs.info_keys() == ("curve:train_loss",)
    omni = make_predictor("omni", epochs=2)
    assert omni.needs.info_keys() == ("proxy:jacov", "curve:train_loss")
    assert "curves=train_loss" in str(omni.needs)
    assert make_predictor("lcsvr", epochs=3).needs.curve_epochs == 3


def test_task_info_reads_the_first_epochs_of_stored_curves():
    keys = ("(0, 1, 2, 3, 4, 0)", "(1, 1, 1, 1, 1, 1)", "(2, 2, 2, 2, 2, 2)")
    loss = np.arange(12.0).reshape(3, 4)
    task = Task("nasbench201", "toy", keys, np.array([1.0, 2, 3]), curves={"train_loss": loss})
    info = task_info(task, [2, 0], make_predictor("sotl", epochs=3).needs)
    np.testing.assert_array_equal(info["curve:train_loss"], [[8, 9, 10], [0, 1, 2]])
    with pytest.raises(MissingInfoError, match="no 'val_accuracy' learning curve"):
        task_info(task, [0], make_predictor("early_stopping", epochs=2).needs)
    with pytest.raises(MissingInfoError, match="4 epochs"):
        task_info(task, [0], make_predictor("sotl", epochs=5).needs)


def test_early_stopping_and_sotl_scores_are_exact():
    archs = _archs(2)
    val = np.array([[10.0, 50.0, 60.0, 99.0], [20.0, 40.0, 70.0, 1.0]])
    loss = np.array([[1.0, 1.0, 1.0], [0.5, 2.0, 0.4]])
    info = {curve_key("val_accuracy"): val, curve_key("train_loss"): loss}
    es = _curve_predictor("early_stopping", epochs=3)
    np.testing.assert_array_equal(es.query(archs, info), [60.0, 70.0])  # epoch 4 unseen
    np.testing.assert_allclose(_curve_predictor("sotl", epochs=3).query(archs, info), [-3.0, -2.9])
    np.testing.assert_allclose(_curve_predictor("sotl", epochs=2).query(archs, info), [-2.0, -2.5])
    sotl_e = _curve_predictor("sotl_e", epochs=3)
    np.testing.assert_allclose(sotl_e.query(archs, info), [-1.0, -0.4])
    sotl_e2 = _curve_predictor("sotl_e", epochs=3, E=2)
    np.testing.assert_allclose(sotl_e2.query(archs, info), [-2.0, -2.4])
    with pytest.raises(MissingInfoError, match="curve:train_loss"):
        _curve_predictor("sotl").query(archs, {curve_key("val_accuracy"): val})
    with pytest.raises(ValueError, match=r"\(n, >= 5\)"):
        _curve_predictor("early_stopping", epochs=5).query(archs, info)
    # fit learns nothing, but a query without it is refused like any predictor's
    with pytest.raises(NotFittedError, match=r"fit\(\[\], \[\]\) suffices"):
        make_predictor("sotl", epochs=3).query(archs, info)


def test_sotl_ranks_archs_with_lower_training_loss_higher():
    rng = np.random.default_rng(1)
    floor = rng.uniform(0.1, 1.0, 40)
    t = np.arange(1, 9)
    loss = floor[:, None] + 2.0 * np.exp(-0.5 * t)[None, :] + rng.normal(0, 0.005, (40, 8))
    info = {curve_key("train_loss"): loss}
    for name in ("sotl", "sotl_e"):
        scores = _curve_predictor(name, epochs=8).query(_archs(40), info)
        assert kendall(-floor, scores) > 0.95, name


def test_lce_recovers_final_ranking_where_early_stopping_fails():
    curves = _crossing_curves()
    final = curves[:, -1]
    info = {curve_key("val_accuracy"): curves}
    archs = _archs(len(curves))
    es = _curve_predictor("early_stopping", epochs=8).query(archs, info)
    lce = _curve_predictor("lce", epochs=8, final_epoch=50).query(archs, info)
    tau_es, tau_lce = kendall(final, es), kendall(final, lce)
    assert tau_es < 0.2  # at epoch 8 the slow risers, the best archs, still trail
    assert tau_lce > 0.8
    assert tau_lce - tau_es > 0.6
    # and its values are close to the truth (5-95 % accuracy), not only its ranking
    assert np.median(np.abs(lce - final)) < 6.0


def test_lce_fits_each_family_and_falls_back():
    t = np.arange(1.0, 13.0)
    y = 0.9 - 0.6 * np.exp(-0.3 * t)
    for model in MODELS:
        theta, mse = fit_curve_model(model, t, y[None, :])
        assert np.isfinite(mse[0]) and mse[0] < 2e-3, model.name  # ilog2: 1.4e-3
        assert np.all(theta >= np.array(model.lower) - 1e-9)
        assert np.all(theta <= np.array(model.upper) + 1e-9)
    pred, per_model = extrapolate_curves(y[None, :], 100)
    assert abs(pred[0] - 0.9) < 0.03
    assert per_model["exp3"][0] == pytest.approx(0.9, abs=1e-3)
    # two epochs: no model has enough points, so the last value is returned
    short, per_model = extrapolate_curves(np.array([[0.3, 0.5], [0.2, np.nan]]), 100)
    np.testing.assert_array_equal(short, [0.5, 0.2])
    assert all(np.isnan(v).all() for v in per_model.values())


@pytest.fixture(scope="module")
def curve_task(suite_zero_dir):
    """The 484 NAS-Bench-201 CIFAR-10 archs with a jacov score (491 stored, 7 of them
    Suite-Zero's failure marker), synthetic curves."""
    [task] = [
        t for t in load_suite_zero(suite_zero_dir / "zc_nasbench201.json") if t.dataset == "cifar10"
    ]
    with_jacov = np.flatnonzero(task.has_proxy("jacov") & np.isfinite(task.proxies["jacov"]))
    return synthetic_curve_task(task.subset(with_jacov), n_epochs=12, seed=0)


@pytest.mark.parametrize(
    ("name", "params", "min_tau"),
    [
        ("lcsvr", {"epochs": 3, "tune_trials": 4}, 0.5),
        ("omni", {"epochs": 3, "n_estimators": 100}, 0.4),
    ],
)
def test_hybrid_predictors_fit_and_rank(curve_task, name, params, min_tau):
    task = curve_task
    assert len(task) == 484
    space = get_space(task.space)
    archs = [space.from_key(k) for k in task.keys]
    order = np.random.default_rng(0).permutation(len(task))
    train, test = order[:200], order[200:]
    predictor = make_predictor(name, seed=0, **params)
    needs = predictor.needs
    predictor.fit(
        [archs[i] for i in train], task.val_accuracy[train], task_info(task, train, needs)
    )
    pred = predictor.query([archs[i] for i in test], task_info(task, test, needs))
    tau = kendall(task.val_accuracy[test], pred)
    assert tau > min_tau, tau
    # the learned model beats a random ranking by far and matches the truth's scale
    assert abs(np.mean(pred) - np.mean(task.val_accuracy[test])) < 2.0
    with pytest.raises(MissingInfoError):
        predictor.query([archs[i] for i in test], None)
