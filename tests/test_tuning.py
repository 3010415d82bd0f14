"""Tuning: one cross-validated random search for every model-based predictor.

On a real small task, the embedded NAS-Bench-201 CIFAR-10 learning-curve
benchmark (``nasbench201/cifar10-lc``): the default configuration is the first
candidate, so a tuned fit never has a lower CV Kendall tau than the default; a
wall-clock budget stops the search (a zero budget scores the default only); a
tuned predictor answers exactly like a plain one built with the chosen values.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from typing import Any, ClassVar

import numpy as np
import pytest
import torch

from naspred.benchmarks import Task, load_tasks
from naspred.errors import InvalidInputError, WrongTypeError
from naspred.predictors import make_predictor, model_based_predictors, predictor_names
from naspred.predictors._encoded import EncodedPredictor
from naspred.predictors._params import model_params, search_space
from naspred.predictors._tuning import TunablePredictor
from naspred.predictors.registry import predictor_class
from naspred.predictors.xgb import XGBoostPredictor

torch.set_num_threads(1)

#: cheap settings per predictor, so that every one can be tuned here
FAST: dict[str, dict[str, Any]] = {
    "bananas": {"ensemble_size": 2, "epochs": 3},
    "bonas": {"epochs": 3},
    "dngo": {"epochs": 3},
    "gates": {"epochs": 3},
    "gcn": {"epochs": 3},
    "gin": {"epochs": 3},
    "lgb": {"n_estimators": 20},
    "mlp": {"epochs": 3},
    "ngb": {"n_estimators": 20},
    "rf": {"n_estimators": 20},
    "seminas": {"epochs": 3, "n_unlabelled": 20},
    "sparse_gp": {"iterations": 10, "num_inducing": 16},
    "ta_gates": {"epochs": 3},
    "xgb": {"n_estimators": 20},
}


@pytest.fixture(scope="module")
def lc() -> tuple[Task, list]:
    from naspred.spaces import get_space

    [task] = load_tasks(["nasbench201/cifar10-lc"])
    space = get_space(task.space)
    return task, [space.from_key(k) for k in task.keys[:80]]


def _data(lc: tuple[Task, list], n: int = 48) -> tuple[list, np.ndarray]:
    task, archs = lc
    return archs[:n], np.asarray(task.val_accuracy[:n], dtype=float)


def test_every_model_based_predictor_declares_a_search_space() -> None:
    tunable = [n for n in predictor_names() if issubclass(predictor_class(n), TunablePredictor)]
    assert set(model_based_predictors()) <= set(tunable)
    for name in tunable:
        cls = predictor_class(name)
        if cls.nothing_to_tune:  # it says why, when asked to tune
            with pytest.raises(InvalidInputError, match=re.escape(cls.nothing_to_tune)):
                make_predictor(name, tune=True)
            continue
        assert search_space(make_predictor(name)), f"{name} declares nothing to tune"
    # the ones that learn nothing from training archs say so when asked to tune
    for name in sorted(set(predictor_names()) - set(tunable)):
        spec = "zc:synflow" if name == "zc" else name
        with pytest.raises(WrongTypeError, match="nothing to tune"):
            make_predictor(spec, tune=True)


def test_nothing_to_tune_and_bad_settings_raise_at_construction() -> None:
    class Untunable(EncodedPredictor):
        """A model with no searched hyper-parameter."""

    Untunable()  # not tuning: fine
    with pytest.raises(InvalidInputError, match="declares no hyper-parameter to tune"):
        Untunable(tune=True)
    for bad in ({"tune_trials": 0}, {"tune_folds": 1}, {"tune_budget_s": -1.0}):
        with pytest.raises(InvalidInputError, match=next(iter(bad))):
            make_predictor("xgb", tune=True, **bad)


def test_a_redeclared_default_keeps_its_declaration() -> None:
    class FewTrees(XGBoostPredictor):
        """XGBoost with fewer trees by default."""

        name: ClassVar[str] = ""
        n_estimators: int = 7

    p = FewTrees()
    assert model_params(p)["n_estimators"] == 7  # still handed to the model
    assert search_space(p)["n_estimators"] == search_space(XGBoostPredictor())["n_estimators"]
    field = {f.name: f for f in dataclasses.fields(FewTrees)}["n_estimators"]
    assert field.default == 7


@pytest.mark.parametrize("name", ["xgb", "mlp", "gcn", "wl_gp"])
def test_tuned_never_below_default_and_answers_as_chosen(lc, name: str) -> None:
    archs, y = _data(lc)
    query = lc[1][60:80]
    kw = dict(FAST.get(name, {}), seed=0, tune_folds=3)
    alone = make_predictor(name, tune=True, tune_trials=1, **kw).fit(archs, y)
    tuned = make_predictor(name, tune=True, tune_trials=3, **kw).fit(archs, y)
    default_cv = alone.tune_results_[0][1]
    scores = [s for _, s in tuned.tune_results_]
    assert tuned.tune_scored_ == 3 and len(scores) == 3
    assert np.isfinite(default_cv)
    # the default, scored alone, is the first candidate with the same score
    assert tuned.tune_results_[0] == alone.tune_results_[0]
    chosen = dict(tuned.tune_results_[int(np.nanargmax(scores))][0])
    assert tuned.tune_config_ == chosen
    assert np.nanmax(scores) >= default_cv
    # the tuned predictor answers as a plain one built with the chosen values
    plain = make_predictor(name, **{**kw, **chosen}).fit(archs, y)
    np.testing.assert_allclose(tuned.query(query), plain.query(query), rtol=1e-6, atol=1e-6)


def test_budget_stops_the_search(lc, caplog) -> None:
    archs, y = _data(lc)
    kw = {"seed": 0, "n_estimators": 20, "tune": True, "tune_trials": 6}
    with caplog.at_level(logging.INFO, logger="naspred.predictors._tuning"):
        zero = make_predictor("xgb", tune_budget_s=0.0, **kw).fit(archs, y)
    assert zero.tune_scored_ == 1 and len(zero.tune_results_) == 1
    assert zero.tune_config_ == {k: getattr(zero, k) for k in search_space(zero)}
    assert zero.tuned_.get_params()["learning_rate"] == zero.learning_rate
    assert "scored 1 of 6 candidates" in caplog.text
    unlimited = make_predictor("xgb", tune_budget_s=None, **kw).fit(archs, y)
    assert unlimited.tune_scored_ == 6
    assert unlimited.tune_results_[0] == zero.tune_results_[0]


def test_plain_refit_forgets_the_search(lc) -> None:
    archs, y = _data(lc)
    p = make_predictor("rf", seed=0, n_estimators=20, tune=True, tune_trials=2).fit(archs, y)
    assert "tuned_" in vars(p) and p.model_ is p.tuned_.model_  # learned state reads through
    p.set_params(tune=False).fit(archs, y)
    assert "tuned_" not in vars(p) and not hasattr(p, "tune_results_")
    assert p.params_["n_estimators"] == 20


def test_tuned_wl_gp_gram_uses_the_chosen_kernel(lc) -> None:
    archs, y = _data(lc)
    p = make_predictor("wl_gp", tune=True, tune_trials=5, seed=1).fit(archs, y)
    plain = make_predictor("wl_gp", **p.tune_config_).fit(archs, y)
    np.testing.assert_allclose(p.gram(archs[:5]), plain.gram(archs[:5]))


@pytest.mark.parametrize(
    "name", [n for n in model_based_predictors() if not predictor_class(n).nothing_to_tune]
)
def test_every_model_based_predictor_tunes(lc, name: str) -> None:
    archs, y = _data(lc, n=24)
    kw = dict(FAST.get(name, {}), seed=0, tune=True, tune_trials=2, tune_folds=2)
    # NGBoost's draws (128 to 512 rounds) take a minute: the budget keeps its default only
    scored = 1 if name == "ngb" else 2
    p = make_predictor(name, **kw, tune_budget_s=0.0 if name == "ngb" else None).fit(archs, y)
    assert p.tune_scored_ == scored
    assert p.tune_config_ in [config for config, _ in p.tune_results_]
    assert set(p.tune_config_) == set(search_space(p))
    assert np.isfinite(p.query(lc[1][60:70])).all()
