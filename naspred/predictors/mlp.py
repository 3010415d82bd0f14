"""A feed-forward network on an encoding, in PyTorch.

White, Neiswanger & Savani, "BANANAS: Bayesian Optimization with Neural
Architectures for Neural Architecture Search", AAAI 2021: 10 fully connected
layers of width 20, Adam at learning rate 0.01, mean-absolute-error loss,
200 epochs (the network of :mod:`naspred.predictors._nn`).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from naspred.predictors._nn import FeedForwardPredictor, predict_network, train_network
from naspred.predictors._params import model_param
from naspred.predictors.registry import register_predictor


@register_predictor("mlp")
class MLPPredictor(FeedForwardPredictor):
    """A multi-layer perceptron with the BANANAS network's defaults (White et al.,
    AAAI 2021): ``num_layers`` hidden layers of ``layer_width`` ReLU units, Adam,
    L1 loss on standardised targets, on the standardised encoding.

    Args:
        weight_decay: Adam's L2 weight decay.
        loss: ``"l1"`` (mean absolute error, as BANANAS), ``"mse"``, ``"pairwise"``
            (a logistic ranking loss over the minibatch's pairs, as BRP-NAS trains on
            pairwise relations) or ``"hinge"`` (a margin ranking loss over them, as
            GATES; :mod:`naspred.predictors._losses`).
    """

    description: ClassVar[str] = "multi-layer perceptron (PyTorch) on an encoding"
    paper: ClassVar[str] = "White et al., BANANAS, AAAI 2021"

    weight_decay: float = model_param(0.0)
    loss: str = model_param("l1")

    def _fit_model(self, X: np.ndarray, z: np.ndarray, params: dict[str, Any]) -> Any:
        return train_network(X, z, seed=self.seed, **params)

    def _predict_model(self, model: Any, X: np.ndarray) -> np.ndarray:
        return predict_network(model, X)
