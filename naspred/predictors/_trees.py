"""Tree ensembles on an encoding: XGBoost, LightGBM, random forests.

The module structure is the following:

* :class:`TreeEnsemblePredictor`, a :class:`~naspred.predictors._encoded.EncodedPredictor`
  (encoding, seed and tuning hyper-parameters), adds ``n_jobs`` and the
  scikit-learn-API fit/predict every such library offers: a subclass only
  builds its library's regressor from the model configuration
  (:meth:`~TreeEnsemblePredictor._make_model`); the configuration and its tuning
  draws come from the subclass's
  :func:`~naspred.predictors._params.model_param` declarations.
* Derived, each in its own module: ``xgb`` (:mod:`naspred.predictors.xgb`; and
  ``zc_xgb``, XGBoost on encoding + proxy scores), ``lgb`` and ``rf``.

NGBoost (``ngb``, ``omni``) boosts trees too but predicts a distribution, so it
derives from :class:`~naspred.predictors._encoded.EncodedProbabilisticPredictor`
directly.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from naspred.predictors._encoded import EncodedPredictor


class TreeEnsemblePredictor(EncodedPredictor):
    """A tree-ensemble regressor with a scikit-learn API on an encoding.

    Args:
        n_jobs: threads the library may use (one suits the studies, which run
            their cells in parallel processes).
    """

    n_jobs: int = 1

    def _make_model(self, params: dict[str, Any], n_rows: int) -> Any:
        """The unfitted regressor for configuration ``params``, to fit on ``n_rows`` rows."""
        raise NotImplementedError(f"{type(self).__name__} does not implement _make_model()")

    def _fit_model(self, X: np.ndarray, z: np.ndarray, params: dict[str, Any]) -> Any:
        return self._make_model(params, len(z)).fit(X, z)

    def _predict_model(self, model: Any, X: np.ndarray) -> np.ndarray:
        return np.asarray(model.predict(X), dtype=float)
