"""Predictors that read partial learning curves.

The module structure is the following:

* :class:`CurvePredictor`, a :class:`~naspred.predictors.base.Predictor`,
  implements ``fit`` and ``query`` for the training-free predictors that score
  each arch from its own first ``epochs`` epochs of one or more curves
  (``info["curve:<metric>"]``): ``fit`` learns nothing, ``query`` hands the
  curves to :meth:`~CurvePredictor._score`. It declares the ``epochs``
  hyper-parameter. Derived, each in its own module: ``early_stopping``,
  ``sotl`` and ``sotl_e``, ``lce``.
* :class:`CurveFeatureMixin` turns an
  :class:`~naspred.predictors._encoded.EncodedPredictor` into one that also learns
  from curve features (standardised with training statistics) appended to the
  encoding. Derived: ``lcsvr`` and ``omni``, which are fitted on fully trained
  archs and queried with partial curves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from naspred.errors import InvalidInputError
from naspred.predictors.base import ArchLike, DataNeeds, Info, Predictor, curve_key


class CurvePredictor(Predictor):
    """A training-free predictor that reads only each arch's own partial learning curve.

    ``fit`` learns nothing (it only checks that the curves it will need are given;
    ``fit([], [])`` suffices) and ``query`` scores each arch from
    ``info["curve:<metric>"]``, its first ``epochs`` epochs. Studies treat it as
    needing no initialisation budget: :attr:`training_free` says so.

    Args:
        epochs: epochs of each arch's curve(s) the score reads (at least 1).
    """

    #: needs no trained archs: only the query budget (partial training) pays for it
    training_free: ClassVar[bool] = True
    #: the curve metrics read, in :attr:`DataNeeds.curve_metrics`
    curve_metrics: ClassVar[tuple[str, ...]] = ("val_accuracy",)

    epochs: int = 5

    @property
    def needs(self) -> DataNeeds:
        return DataNeeds(curve_epochs=int(self.epochs), curve_metrics=self.curve_metrics)

    def _check_epochs(self) -> None:
        if int(self.epochs) < 1:
            raise InvalidInputError(f"{type(self).__name__} needs epochs >= 1, got {self.epochs}")

    def fit(
        self, archs: Sequence[ArchLike], y: np.ndarray, info: Info | None = None
    ) -> CurvePredictor:
        self._check_epochs()
        self._fit_nothing(archs, y, info)
        return self

    def query(self, archs: Sequence[ArchLike], info: Info | None = None) -> np.ndarray:
        # fit learns nothing, but the API is the same for every predictor: a caller
        # that skips it has skipped the check that the curves can be had
        self._check_fitted("n_train_", " (it learns nothing: fit([], []) suffices)")
        self._check_epochs()
        side = self._side_data(info, len(archs))
        return self._score({m: side[curve_key(m)] for m in self.curve_metrics})

    def _score(self, curves: dict[str, np.ndarray]) -> np.ndarray:
        """One score per arch (higher = better) from its ``(n, epochs)`` curves."""
        raise NotImplementedError(f"{type(self).__name__} does not implement _score()")


class CurveFeatureMixin:
    """Appends standardised curve features to an
    :class:`~naspred.predictors._encoded.EncodedPredictor`'s encoding columns
    (statistics from the training archs); subclasses implement :meth:`_curve_columns`."""

    def _curve_columns(self, side: dict[str, np.ndarray], n: int) -> np.ndarray:
        """The curve feature columns, ``(n, k)``, from the side data :attr:`needs` names."""
        raise NotImplementedError(f"{type(self).__name__} does not implement _curve_columns()")

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
