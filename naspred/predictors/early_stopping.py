"""Early stopping: rank archs by their validation accuracy after a few epochs.

The simplest learning-curve predictor, the baseline every curve-based method is
measured against (e.g. White et al., "How Powerful are Performance Predictors in
Neural Architecture Search?", NeurIPS 2021).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from naspred.errors import InvalidInputError
from naspred.predictors.base import ArchLike, DataNeeds, Info, Predictor, curve_key
from naspred.predictors.registry import register_predictor


class CurvePredictor(Predictor):
    """A training-free predictor that reads only each arch's own partial learning curve.

    ``fit`` learns nothing (it only checks that the curves it will need are given)
    and ``query`` scores each arch from ``info["curve:<metric>"]``, its first
    ``epochs`` epochs. Studies treat it as needing no initialisation budget:
    :attr:`training_free` says so.
    """

    #: needs no trained archs: only the query budget (partial training) pays for it
    training_free: ClassVar[bool] = True
    #: the curve metrics read, in :attr:`DataNeeds.curve_metrics`
    curve_metrics: ClassVar[tuple[str, ...]] = ("val_accuracy",)

    epochs: int

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
        if len(np.ravel(y)) != len(archs):
            raise InvalidInputError(f"{len(archs)} archs but {len(np.ravel(y))} targets")
        if len(archs):
            self._side_data(info, len(archs))
        self.n_train_ = len(archs)
        return self

    def query(self, archs: Sequence[ArchLike], info: Info | None = None) -> np.ndarray:
        self._check_epochs()
        side = self._side_data(info, len(archs))
        return self._score({m: side[curve_key(m)] for m in self.curve_metrics})

    def _score(self, curves: dict[str, np.ndarray]) -> np.ndarray:
        """One score per arch (higher = better) from its ``(n, epochs)`` curves."""
        raise NotImplementedError


@register_predictor("early_stopping")
class EarlyStopping(CurvePredictor):
    """Validation accuracy at epoch ``epochs`` (the last epoch given), as the
    early-stopping baseline of White et al., NeurIPS 2021 (NASLib's
    ``EarlyStopping``). Training-free; reads ``info["curve:val_accuracy"]``."""

    description: ClassVar[str] = "validation accuracy after `epochs` epochs of training"
    paper: ClassVar[str] = "baseline of White et al., NeurIPS 2021"

    def __init__(self, epochs: int = 5) -> None:
        self.epochs = epochs

    def _score(self, curves: dict[str, np.ndarray]) -> np.ndarray:
        return curves["val_accuracy"][:, -1].copy()
