"""LcSVR: support-vector regression on partial learning curves plus arch features.

Baker, Gupta, Raskar and Naik, "Accelerating Neural Architecture Search using
Performance Prediction", ICLR 2018 Workshop (arXiv 2017). A ν-SVR learns, from
archs trained to completion (the init phase), the map from the first ``epochs``
epochs of validation accuracy, the curve's first and second differences and the
arch's encoding to the final accuracy; at query time it needs only each arch's
partial curve. The paper tunes the SVR by random search with cross-validation;
so does ``tune=True`` here (the default), scored by Kendall's tau.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import numpy as np

from naspred.errors import InvalidInputError
from naspred.predictors._curves import CurveFeatureMixin
from naspred.predictors._encoded import EncodedPredictor
from naspred.predictors._params import LogUniform, Uniform, model_param
from naspred.predictors.base import DataNeeds, curve_key
from naspred.predictors.registry import register_predictor


def curve_features(curve: np.ndarray) -> np.ndarray:
    """Baker et al.'s curve features of ``(n, e)`` curves: the values, their first
    differences and their second differences (fewer columns for short curves)."""
    curve = np.asarray(curve, dtype=float)
    parts = [curve]
    if curve.shape[1] >= 2:
        parts.append(np.diff(curve, n=1, axis=1))
    if curve.shape[1] >= 3:
        parts.append(np.diff(curve, n=2, axis=1))
    return np.hstack(parts)


@contextmanager
def _numpy_global_rng_kept() -> Iterator[None]:
    """Restore numpy's global random state after the block.

    scikit-learn's libsvm wrapper draws a seed from numpy's global generator on
    every fit of an estimator without ``random_state`` (NuSVR has none); libsvm uses
    it only for probability estimates, which a regressor never makes, so the draw
    changes no prediction, only other code's random stream.
    """
    state = np.random.get_state()  # noqa: NPY002 - the legacy global state is the point
    try:
        yield
    finally:
        np.random.set_state(state)  # noqa: NPY002


@register_predictor("lcsvr")
class LcSVR(CurveFeatureMixin, EncodedPredictor):
    """LcSVR (Baker et al., ICLR 2018 Workshop): a ν-SVR (RBF kernel) on the first
    ``epochs`` epochs of validation accuracy, their first and second differences, and
    the arch's encoding. Fit on fully trained archs (``info["curve:val_accuracy"]``
    with at least ``epochs`` columns, targets = final accuracy); query with partial
    curves. Tuned by default, as in the paper.

    Args:
        epochs: epochs of validation accuracy read per arch (at least 1).
        C: the SVR's penalty on errors.
        nu: the ν-SVR's bound on the fraction of support vectors and margin errors.
        gamma: the RBF kernel's width (scikit-learn's, e.g. ``"scale"``).
        tune: pick ``C``, ``nu`` and ``gamma`` by a cross-validated random search first.
    """

    description: ClassVar[str] = "nu-SVR on partial val-accuracy curve + differences + encoding"
    paper: ClassVar[str] = "Baker et al., ICLR 2018 Workshop"
    scale_features: ClassVar[bool] = True

    tune: bool = True
    tune_trials: int = 10
    epochs: int = 5
    C: float = model_param(1.0, search=LogUniform(1e-2, 1e2))
    nu: float = model_param(0.5, search=Uniform(0.05, 1.0))
    gamma: float | str = model_param("scale", search=LogUniform(1e-3, 1.0))

    @property
    def needs(self) -> DataNeeds:
        """The encoding, the proxies and the first ``epochs`` of the curves it reads."""
        return DataNeeds(
            encoding=self._encoding_name(),
            curve_epochs=int(self.epochs),
            curve_metrics=("val_accuracy",),
        )

    def _curve_columns(self, side: dict[str, np.ndarray], n: int) -> np.ndarray:
        if int(self.epochs) < 1:
            raise InvalidInputError(f"LcSVR needs epochs >= 1, got {self.epochs}")
        return curve_features(side[curve_key("val_accuracy")])

    def _fit_model(self, X: np.ndarray, z: np.ndarray, params: dict[str, Any]) -> Any:
        from sklearn.svm import NuSVR

        with _numpy_global_rng_kept():
            return NuSVR(kernel="rbf", **params).fit(X, z)

    def _predict_model(self, model: Any, X: np.ndarray) -> np.ndarray:
        return np.asarray(model.predict(X), dtype=float)
