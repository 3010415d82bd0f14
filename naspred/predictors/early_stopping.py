"""Early stopping: rank archs by their validation accuracy after a few epochs.

The simplest learning-curve predictor, the baseline every curve-based method is
measured against (e.g. White et al., "How Powerful are Performance Predictors in
Neural Architecture Search?", NeurIPS 2021).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from naspred.predictors._curves import CurvePredictor
from naspred.predictors.registry import register_predictor


@register_predictor("early_stopping")
class EarlyStopping(CurvePredictor):
    """The early-stopping baseline of White et al. (NeurIPS 2021; NASLib's
    ``EarlyStopping``): the validation accuracy at epoch ``epochs``.
    Training-free; reads ``info["curve:val_accuracy"]``.

    Args:
        epochs: the epoch whose validation accuracy is the score (the last one read).
    """

    description: ClassVar[str] = "validation accuracy after `epochs` epochs of training"
    paper: ClassVar[str] = "baseline of White et al., NeurIPS 2021"

    def _score(self, curves: dict[str, np.ndarray]) -> np.ndarray:
        return curves["val_accuracy"][:, -1].copy()
