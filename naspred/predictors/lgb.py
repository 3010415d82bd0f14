"""LightGBM on an encoding.

Ke et al., "LightGBM: A Highly Efficient Gradient Boosting Decision Tree",
NeurIPS 2017. Defaults are those of the NASLib predictor study (White et al.,
NeurIPS 2021): 31 leaves, learning rate 0.05, feature fraction 0.9, bagging
fraction 0.8, 500 rounds.
"""

from __future__ import annotations

from typing import Any, ClassVar

from naspred.predictors._params import IntRange, LogUniform, Uniform, model_param
from naspred.predictors._trees import TreeEnsemblePredictor
from naspred.predictors.registry import register_predictor


@register_predictor("lgb")
class LightGBMPredictor(TreeEnsemblePredictor):
    """LightGBM (Ke et al., NeurIPS 2017) on an encoding, with the NASLib study's
    defaults (White et al., NeurIPS 2021); ``tune=True`` runs a cross-validated
    random search first.

    Args:
        n_estimators: boosting rounds (trees).
        num_leaves: maximum leaves of a tree.
        learning_rate: shrinkage of each tree's contribution.
        feature_fraction: fraction of the features each tree may use (LightGBM's
            ``colsample_bytree``).
        bagging_fraction: fraction of the training archs each tree is grown on
            (``subsample``).
        bagging_freq: redraw the bagged archs every this many trees (``subsample_freq``).
        min_child_samples: minimum training archs in a leaf, capped at a quarter of
            the training archs so that small training sets still split.
    """

    description: ClassVar[str] = "LightGBM gradient-boosted trees on an encoding"
    paper: ClassVar[str] = "Ke et al., NeurIPS 2017; defaults of White et al., NeurIPS 2021"

    n_estimators: int = model_param(500, search=IntRange(50, 500))
    num_leaves: int = model_param(31, search=IntRange(10, 100))
    learning_rate: float = model_param(0.05, search=LogUniform(0.001, 0.1))
    feature_fraction: float = model_param(0.9, name="colsample_bytree", search=Uniform(0.1, 1.0))
    bagging_fraction: float = model_param(0.8, name="subsample")
    bagging_freq: int = model_param(1, name="subsample_freq")
    min_child_samples: int = model_param(20, search=IntRange(2, 30))

    def _make_model(self, params: dict[str, Any], n_rows: int) -> Any:
        import lightgbm

        # The NASLib default leaf minimum (20) assumes >= ~100 training archs; with
        # fewer, no tree could split and every prediction would be the mean.
        params = {
            **params,
            "min_child_samples": min(params["min_child_samples"], max(1, n_rows // 4)),
        }
        return lightgbm.LGBMRegressor(
            objective="regression",
            random_state=self.seed,
            n_jobs=self.n_jobs,
            verbose=-1,
            **params,
        )
