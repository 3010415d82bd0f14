"""XGBoost on an encoding.

Chen & Guestrin, "XGBoost: A Scalable Tree Boosting System", KDD 2016. Defaults
are those of the NASLib predictor study (White et al., "How Powerful are
Performance Predictors in Neural Architecture Search?", NeurIPS 2021): XGBoost's
own tree defaults, 500 boosting rounds.
"""

from __future__ import annotations

from typing import Any, ClassVar

from naspred.predictors._params import IntRange, LogUniform, Uniform, model_param
from naspred.predictors._trees import TreeEnsemblePredictor
from naspred.predictors.registry import register_predictor


@register_predictor("xgb")
class XGBoostPredictor(TreeEnsemblePredictor):
    """Gradient-boosted trees (Chen & Guestrin, KDD 2016) on an encoding, with the
    NASLib study's defaults (White et al., NeurIPS 2021); ``tune=True`` runs a
    cross-validated random search over the ranges NASLib searches.

    Args:
        n_estimators: boosting rounds (trees).
        learning_rate: shrinkage of each tree's contribution (XGBoost's ``eta``).
        max_depth: maximum depth of a tree.
        min_child_weight: minimum sum of instance weight (hessian) in a leaf.
        colsample_bytree: fraction of the features each tree may use.
        colsample_bylevel: fraction of a tree's features each depth level may use.
        subsample: fraction of the training archs each tree is grown on.
    """

    description: ClassVar[str] = "XGBoost gradient-boosted trees on an encoding"
    paper: ClassVar[str] = "Chen & Guestrin, KDD 2016; defaults of White et al., NeurIPS 2021"

    n_estimators: int = model_param(500, search=IntRange(50, 500))
    learning_rate: float = model_param(0.3, search=LogUniform(0.01, 0.5))
    max_depth: int = model_param(6, search=IntRange(1, 10))
    min_child_weight: float = model_param(1.0, search=IntRange(1, 10))
    colsample_bytree: float = model_param(1.0, search=Uniform(0.2, 1.0))
    colsample_bylevel: float = model_param(1.0, search=Uniform(0.2, 1.0))
    subsample: float = model_param(1.0, search=Uniform(0.5, 1.0))

    def _make_model(self, params: dict[str, Any], n_rows: int) -> Any:
        import xgboost

        return xgboost.XGBRegressor(
            objective="reg:squarederror",
            booster="gbtree",
            random_state=self.seed,
            n_jobs=self.n_jobs,
            **params,
        )
