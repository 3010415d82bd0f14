"""The BANANAS predictor: an ensemble of MLPs on the path encoding.

White, Neiswanger & Savani, "BANANAS: Bayesian Optimization with Neural
Architectures for Neural Architecture Search", AAAI 2021. Five networks of 10
layers of width 20 trained from different initialisations; their mean is the
prediction and their spread the uncertainty used by the acquisition function.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from naspred.errors import InvalidInputError
from naspred.predictors._encoded import EncodedProbabilisticPredictor
from naspred.predictors._nn import (
    FeedForwardPredictor,
    predict_network,
    train_network,
    train_networks,
)
from naspred.predictors._params import model_param
from naspred.predictors.registry import register_predictor


@register_predictor("bananas")
class BananasPredictor(FeedForwardPredictor, EncodedProbabilisticPredictor):
    """The BANANAS predictor (White et al., AAAI 2021): an ensemble of MLPs, member
    ``i`` seeded with ``seed + i``, on the (truncated) path encoding by default;
    mean and standard deviation are taken over the members' predictions.

    Args:
        ensemble_size: networks in the ensemble (at least 2, for a spread).
        loss: ``"l1"`` (mean absolute error, as BANANAS), ``"mse"``, ``"pairwise"``
            (a logistic ranking loss over the minibatch's pairs, as BRP-NAS trains on
            pairwise relations) or ``"hinge"`` (a margin ranking loss over them, as
            GATES; :mod:`naspred.predictors._losses`).
        ensemble_batching: train the members at once as one stacked model
            (:func:`~naspred.predictors._nn.train_networks`); False: one after
            another, as before the stacked trainer existed. The same networks to
            float rounding either way; stacked is several times faster.
    """

    description: ClassVar[str] = "BANANAS: ensemble of MLPs on the path encoding"
    paper: ClassVar[str] = "White et al., BANANAS, AAAI 2021"
    default_encoding: ClassVar[str] = "path"

    ensemble_size: int = 5
    loss: str = model_param("l1")
    ensemble_batching: bool = True

    def _fit_model(self, X: np.ndarray, z: np.ndarray, params: dict[str, Any]) -> Any:
        if self.ensemble_size < 2:
            raise InvalidInputError(
                f"ensemble_size must be >= 2 for an uncertainty, got {self.ensemble_size}"
            )
        if not isinstance(self.ensemble_batching, bool):
            raise InvalidInputError(
                f"ensemble_batching must be True or False, got {self.ensemble_batching!r}"
            )
        seeds = [self.seed + i for i in range(self.ensemble_size)]
        if not self.ensemble_batching:
            return [train_network(X, z, seed=seed, **params) for seed in seeds]
        return train_networks(X, z, seeds=seeds, **params)

    def _predict_model_dist(self, model: Any, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        preds = np.stack([predict_network(m, X) for m in model])
        return preds.mean(axis=0), preds.std(axis=0, ddof=1)
