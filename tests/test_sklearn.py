"""Predictors are scikit-learn citizens: predict/score, cross_val_score, GridSearchCV, Pipeline."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import Pipeline

from naspred.benchmarks import load_tasks
from naspred.metrics import kendall
from naspred.predictors import make_predictor
from naspred.spaces import get_space


@pytest.fixture(scope="module")
def archs_y():
    """150 NB201 archs of the embedded learning-curve task and their final val accuracy."""
    [task] = load_tasks(["nasbench201/cifar10-lc"])
    space = get_space(task.space)
    return [space.from_key(k) for k in task.keys[:150]], task.val_accuracy[:150]


def test_predict_is_query_and_score_is_kendall(archs_y):
    archs, y = archs_y
    p = make_predictor("xgb", n_estimators=50).fit(archs[:100], y[:100])
    np.testing.assert_array_equal(p.predict(archs[100:]), p.query(archs[100:]))
    assert p.score(archs[100:], y[100:]) == kendall(y[100:], p.query(archs[100:]))
    assert p.score(archs[100:], y[100:]) > 0.2  # GRAF-free xgb on 100 archs still ranks


def test_cross_val_score_gives_three_finite_kendalls(archs_y):
    archs, y = archs_y
    scores = cross_val_score(make_predictor("xgb", n_estimators=50), archs, y, cv=3)
    assert scores.shape == (3,) and np.isfinite(scores).all()
    # the same folds by hand: the scorer is Kendall on the held-out fold
    train, test = next(KFold(3).split(archs))
    p = make_predictor("xgb", n_estimators=50).fit([archs[i] for i in train], y[train])
    assert scores[0] == pytest.approx(kendall(y[test], p.query([archs[i] for i in test])))


def test_grid_search_and_pipeline(archs_y):
    archs, y = archs_y
    grid = GridSearchCV(make_predictor("xgb", n_estimators=50), {"max_depth": [1, 6]}, cv=3).fit(
        archs, y
    )
    assert grid.best_params_["max_depth"] in (1, 6)
    assert set(grid.cv_results_["param_max_depth"]) == {1, 6}
    assert np.isfinite(grid.cv_results_["mean_test_score"]).all()
    assert grid.best_estimator_.max_depth == grid.best_params_["max_depth"]
    pipe = Pipeline([("predictor", make_predictor("rf", n_estimators=50))]).fit(archs, y)
    np.testing.assert_array_equal(pipe.predict(archs[:10]), pipe[-1].query(archs[:10]))
    assert pipe.score(archs, y) > 0.5  # on its own training archs
