"""Random forest on an encoding.

Breiman, "Random Forests", Machine Learning 45, 2001. Default hyper-parameters
are those NAS-Bench-301 tuned for its random-forest surrogate (Siems et al.,
"NAS-Bench-301 and the Case for Surrogate Benchmarks for Neural Architecture
Search", 2020), which the NASLib predictor study uses (White et al., NeurIPS 2021).
"""

from __future__ import annotations

from typing import Any, ClassVar

from naspred.predictors._params import IntRange, Uniform, model_param
from naspred.predictors._trees import TreeEnsemblePredictor
from naspred.predictors.registry import register_predictor


@register_predictor("rf")
class RandomForestPredictor(TreeEnsemblePredictor):
    """Random forest regression (Breiman, 2001) on an encoding, with NAS-Bench-301's
    defaults (Siems et al., 2020); ``tune=True`` runs a small cross-validated random
    search first.

    Args:
        n_estimators: trees in the forest.
        max_features: fraction of the features a split may consider.
        min_samples_leaf: minimum training archs in a leaf.
        min_samples_split: minimum training archs a node needs to be split.
        bootstrap: grow each tree on a bootstrap sample instead of every arch.
    """

    description: ClassVar[str] = "random forest on an encoding"
    paper: ClassVar[str] = "Breiman 2001; defaults from NAS-Bench-301 (Siems et al. 2020)"

    n_estimators: int = model_param(116, search=IntRange(16, 128))
    max_features: float = model_param(0.17055852159745608, search=Uniform(0.1, 0.9))
    min_samples_leaf: int = model_param(2, search=IntRange(1, 20))
    min_samples_split: int = model_param(2, search=IntRange(2, 20))
    bootstrap: bool = model_param(False)

    def _make_model(self, params: dict[str, Any], n_rows: int) -> Any:
        from sklearn.ensemble import RandomForestRegressor

        return RandomForestRegressor(**params, random_state=self.seed, n_jobs=self.n_jobs)
