"""NGBoost: natural-gradient boosting of a Normal predictive distribution.

Duan et al., "NGBoost: Natural Gradient Boosting for Probabilistic Prediction",
ICML 2020. Defaults (505 rounds, learning rate 0.08, minibatch fraction 0.5,
depth-6 trees) are those of the NASLib predictor study (White et al., NeurIPS 2021).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from naspred.predictors._encoded import EncodedProbabilisticPredictor
from naspred.predictors._params import IntRange, LogUniform, Uniform, model_param
from naspred.predictors.registry import register_predictor


@register_predictor("ngb")
class NGBoostPredictor(EncodedProbabilisticPredictor):
    """NGBoost (Duan et al., ICML 2020) with a Normal distribution and regression
    trees as base learners, with the NASLib study's defaults (White et al., NeurIPS
    2021); the std of the predicted Normal is the uncertainty.

    Args:
        n_estimators: boosting rounds.
        learning_rate: shrinkage of each round's natural-gradient step.
        minibatch_frac: fraction of the training archs each round is fitted on.
        max_depth: maximum depth of a base tree.
        max_features: fraction of the features a split may consider.
        min_samples_leaf: minimum archs in a leaf, capped at a quarter of a round's
            archs so that small training sets still split.
        min_samples_split: minimum archs a node needs to be split, capped at half of
            a round's archs.
    """

    description: ClassVar[str] = "NGBoost: boosted Normal predictive distribution"
    paper: ClassVar[str] = "Duan et al., ICML 2020; defaults of White et al., NeurIPS 2021"

    n_estimators: int = model_param(505, search=IntRange(128, 512))
    learning_rate: float = model_param(0.08, search=LogUniform(0.001, 0.1))
    minibatch_frac: float = model_param(0.5)
    max_depth: int = model_param(6, search=IntRange(1, 25))
    max_features: float = model_param(0.79, search=Uniform(0.1, 1.0))
    min_samples_leaf: int = model_param(15, search=IntRange(2, 20))
    min_samples_split: int = model_param(20)

    def _fit_model(self, X: np.ndarray, z: np.ndarray, params: dict[str, Any]) -> Any:
        from ngboost import NGBRegressor
        from ngboost.distns import Normal
        from ngboost.scores import LogScore
        from sklearn.tree import DecisionTreeRegressor

        params = dict(params)
        # The NASLib leaf/split minimums (15/20) assume >= ~100 training archs; a tree
        # sees only `minibatch_frac` of the rows, so cap them at a quarter/half of
        # those rows or small training sets give constant predictions.
        rows = max(2, int(len(z) * params.get("minibatch_frac", 1.0)))
        base = DecisionTreeRegressor(
            criterion="friedman_mse",
            max_depth=params.pop("max_depth"),
            max_features=params.pop("max_features"),
            min_samples_leaf=min(params.pop("min_samples_leaf"), max(1, rows // 4)),
            min_samples_split=min(params.pop("min_samples_split"), max(2, rows // 2)),
            random_state=self.seed,
        )
        model = NGBRegressor(
            Dist=Normal, Score=LogScore, Base=base, random_state=self.seed, verbose=False, **params
        )
        return model.fit(X, z)

    def _predict_model_dist(self, model: Any, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        dist = model.pred_dist(X)
        return np.asarray(dist.params["loc"], float), np.asarray(dist.params["scale"], float)
