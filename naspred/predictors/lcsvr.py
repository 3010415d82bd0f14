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

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from naspred.errors import InvalidInputError
from naspred.predictors.base import (
    ArchLike,
    DataNeeds,
    EncodedPredictor,
    Info,
    curve_key,
)
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


class CurveFeatureMixin:
    """Appends standardised curve features to an :class:`EncodedPredictor`'s encoding
    columns (statistics from the training archs); subclasses implement
    :meth:`_curve_columns`."""

    def _curve_columns(self, side: dict[str, np.ndarray], n: int) -> np.ndarray:
        raise NotImplementedError

    def _features(self, archs: Sequence[ArchLike], info: Info | None, fit: bool) -> np.ndarray:
        X = super()._features(archs, info, fit)  # type: ignore[misc]
        side = self._side_data(info, len(archs))  # type: ignore[attr-defined]
        C = self._curve_columns(side, len(archs))
        C = np.where(np.isfinite(C), C, np.nan)
        if fit:
            self.curve_mean_ = np.nanmean(C, axis=0)
            scale = np.nanstd(C, axis=0)
            self.curve_scale_ = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
            self.curve_mean_ = np.nan_to_num(self.curve_mean_)
        # a curve value never recorded (NaN) is put at the training mean: no information
        C = np.nan_to_num((C - self.curve_mean_) / self.curve_scale_, nan=0.0)
        return np.hstack([X, C])


@register_predictor("lcsvr")
class LcSVR(CurveFeatureMixin, EncodedPredictor):
    """ν-SVR (RBF kernel) on the first ``epochs`` epochs of validation accuracy, their
    first and second differences, and the arch's encoding (Baker et al., ICLR-W
    2018). Fit on fully trained archs (``info["curve:val_accuracy"]`` with at least
    ``epochs`` columns, targets = final accuracy); query with partial curves.
    ``tune=True`` picks C, ν and the kernel width by ``tune_trials`` random draws
    scored by ``tune_folds``-fold cross-validated Kendall tau."""

    description: ClassVar[str] = "nu-SVR on partial val-accuracy curve + differences + encoding"
    paper: ClassVar[str] = "Baker et al., ICLR 2018 Workshop"
    scale_features: ClassVar[bool] = True

    def __init__(
        self,
        epochs: int = 5,
        encoding: str | None = None,
        encoding_kw: Mapping[str, Any] | None = None,
        seed: int = 0,
        C: float = 1.0,  # noqa: N803 - sklearn's name
        nu: float = 0.5,
        gamma: float | str = "scale",
        tune: bool = True,
        tune_trials: int = 10,
        tune_folds: int = 3,
    ) -> None:
        self.epochs = epochs
        self.encoding = encoding
        self.encoding_kw = encoding_kw
        self.seed = seed
        self.C = C
        self.nu = nu
        self.gamma = gamma
        self.tune = tune
        self.tune_trials = tune_trials
        self.tune_folds = tune_folds

    @property
    def needs(self) -> DataNeeds:
        return DataNeeds(
            encoding=self._encoding_name(),
            curve_epochs=int(self.epochs),
            curve_metrics=("val_accuracy",),
        )

    def _curve_columns(self, side: dict[str, np.ndarray], n: int) -> np.ndarray:
        if int(self.epochs) < 1:
            raise InvalidInputError(f"LcSVR needs epochs >= 1, got {self.epochs}")
        return curve_features(side[curve_key("val_accuracy")])

    def _default_params(self) -> dict[str, Any]:
        return {"C": self.C, "nu": self.nu, "gamma": self.gamma}

    def _sample_params(self, rng: np.random.Generator) -> dict[str, Any]:
        return {
            "C": float(np.exp(rng.uniform(np.log(1e-2), np.log(1e2)))),
            "nu": float(rng.uniform(0.05, 1.0)),
            "gamma": float(np.exp(rng.uniform(np.log(1e-3), np.log(1.0)))),
        }

    def _fit_model(self, X: np.ndarray, z: np.ndarray, params: dict[str, Any]) -> Any:
        from sklearn.svm import NuSVR

        return NuSVR(kernel="rbf", **params).fit(X, z)

    def _predict_model(self, model: Any, X: np.ndarray) -> np.ndarray:
        return np.asarray(model.predict(X), dtype=float)
