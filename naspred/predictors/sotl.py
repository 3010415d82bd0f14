"""Sum of training losses: SoTL and SoTL-E.

Ru, Lyle, Schut, Fil, van der Wilk and Gal, "Speedy Performance Estimation for
Neural Architecture Search", NeurIPS 2021. An arch whose training loss falls
faster generalises better; the sum of its training losses over the epochs
trained so far (SoTL), or over only the most recent ``E`` of them (SoTL-E),
ranks archs better than their early validation accuracy does. Higher score =
predicted better, so the sums are negated.

The curves hold one training loss per epoch (the epoch's mean minibatch loss),
so the sums here are the paper's minibatch sums divided by the number of
minibatches per epoch, a constant across archs trained on the same data and
batch size: the ranking is the same.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from naspred.errors import InvalidInputError
from naspred.predictors._curves import CurvePredictor
from naspred.predictors.registry import register_predictor


@register_predictor("sotl")
class SoTL(CurvePredictor):
    """SoTL (Ru et al., "Speedy Performance Estimation for Neural Architecture
    Search", NeurIPS 2021): the negated sum of the training losses over the first
    ``epochs`` epochs. Training-free; reads ``info["curve:train_loss"]``.

    Args:
        epochs: epochs of training loss summed.
    """

    description: ClassVar[str] = "minus the sum of training losses over the first `epochs` epochs"
    paper: ClassVar[str] = "Ru et al., NeurIPS 2021"
    curve_metrics: ClassVar[tuple[str, ...]] = ("train_loss",)

    def _score(self, curves: dict[str, np.ndarray]) -> np.ndarray:
        return -curves["train_loss"].sum(axis=1)


@register_predictor("sotl_e")
class SoTLE(CurvePredictor):
    """SoTL-E (Ru et al., NeurIPS 2021): the negated sum of the training losses over
    the last ``E`` of the first ``epochs`` epochs. Training-free; reads
    ``info["curve:train_loss"]``.

    Args:
        epochs: epochs of training loss read; the last ``E`` of them are summed.
        E: epochs summed (the paper's name; its default 1 is the last epoch's loss).
    """

    description: ClassVar[str] = "minus the sum of training losses over the last E of `epochs`"
    paper: ClassVar[str] = "Ru et al., NeurIPS 2021"
    curve_metrics: ClassVar[tuple[str, ...]] = ("train_loss",)

    E: int = 1

    def _score(self, curves: dict[str, np.ndarray]) -> np.ndarray:
        if int(self.E) < 1:
            raise InvalidInputError(f"SoTL-E needs E >= 1, got {self.E}")
        return -curves["train_loss"][:, -int(self.E) :].sum(axis=1)
