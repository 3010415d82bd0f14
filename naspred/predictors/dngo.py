"""DNGO: a neural network's last hidden layer as the basis of a Bayesian linear
regression.

Snoek et al., "Scalable Bayesian Optimization Using Deep Neural Networks",
ICML 2015. The network (3 hidden layers of 50 tanh units) is trained by mean
squared error; a Bayesian linear regression on its last hidden layer (plus a
bias) gives a Gaussian predictive distribution (:mod:`naspred.predictors._blr`).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch

from naspred.predictors._blr import BayesianLinearRegression, with_bias
from naspred.predictors._encoded import EncodedProbabilisticPredictor
from naspred.predictors._nn import FeedForward, FeedForwardPredictor, train_network
from naspred.predictors._params import IntRange, LogIntRange, hyper_param
from naspred.predictors.registry import register_predictor


@register_predictor("dngo")
class DNGOPredictor(FeedForwardPredictor, EncodedProbabilisticPredictor):
    """DNGO (Snoek et al., ICML 2015): ``num_layers`` hidden layers of ``layer_width``
    tanh units trained by mean squared error, then a Bayesian linear regression head
    on the last hidden layer with evidence-maximising precisions; the std is the
    regression's predictive std.

    Tuning: NASLib does not tune DNGO, so the ranges are ours, around the paper's
    network: 1 to 4 hidden layers, 16 to 128 units (log-uniform), and the learning
    rates of the ``mlp`` family.

    Args:
        num_layers: hidden layers (the paper's 3).
        layer_width: units of each hidden layer (the paper's 50).
    """

    description: ClassVar[str] = "DNGO: MLP basis + Bayesian linear regression head"
    paper: ClassVar[str] = "Snoek et al., ICML 2015"

    num_layers: int = hyper_param(3, search=IntRange(1, 5))
    layer_width: int = hyper_param(50, search=LogIntRange(16, 129))

    @staticmethod
    @torch.no_grad()
    def _basis(net: FeedForward, X: np.ndarray) -> np.ndarray:
        return with_bias(net.features(torch.as_tensor(X, dtype=torch.float32)).double().numpy())

    def _fit_model(self, X: np.ndarray, z: np.ndarray, params: dict[str, Any]) -> Any:
        net = train_network(X, z, activation="tanh", loss="mse", seed=self.seed, **params)
        return net, BayesianLinearRegression.fit(self._basis(net, X), z)

    def _predict_model_dist(self, model: Any, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        net, blr = model
        return blr.predict(self._basis(net, X))
