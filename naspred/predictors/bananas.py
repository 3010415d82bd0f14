"""The BANANAS predictor: an ensemble of MLPs on the path encoding.

White, Neiswanger & Savani, "BANANAS: Bayesian Optimization with Neural
Architectures for Neural Architecture Search", AAAI 2021. Five networks of 10
layers of width 20 trained from different initialisations; their mean is the
prediction and their spread the uncertainty used by the acquisition function.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from naspred.errors import InvalidInputError
from naspred.predictors.base import EncodedProbabilisticPredictor
from naspred.predictors.mlp import predict_network, train_network
from naspred.predictors.registry import register_predictor


@register_predictor("bananas")
class BananasPredictor(EncodedProbabilisticPredictor):
    """Ensemble of ``ensemble_size`` MLPs (White et al., AAAI 2021), member ``i``
    seeded with ``seed + i``, on the (truncated) path encoding by default. Mean
    and standard deviation are taken over the members' predictions."""

    description: ClassVar[str] = "BANANAS: ensemble of MLPs on the path encoding"
    paper: ClassVar[str] = "White et al., BANANAS, AAAI 2021"
    default_encoding: ClassVar[str] = "path"
    scale_features: ClassVar[bool] = True

    def __init__(
        self,
        encoding: str | None = None,
        encoding_kw: Mapping[str, Any] | None = None,
        seed: int = 0,
        ensemble_size: int = 5,
        num_layers: int = 10,
        layer_width: int = 20,
        epochs: int = 200,
        lr: float = 0.01,
        batch_size: int = 32,
        loss: str = "l1",
    ) -> None:
        self.encoding = encoding
        self.encoding_kw = encoding_kw
        self.seed = seed
        self.ensemble_size = ensemble_size
        self.num_layers = num_layers
        self.layer_width = layer_width
        self.epochs = epochs
        self.lr = lr
        self.batch_size = batch_size
        self.loss = loss

    def _default_params(self) -> dict[str, Any]:
        return {
            "hidden": [self.layer_width] * self.num_layers,
            "epochs": self.epochs,
            "lr": self.lr,
            "batch_size": self.batch_size,
            "loss": self.loss,
        }

    def _fit_model(self, X: np.ndarray, z: np.ndarray, params: dict[str, Any]) -> Any:
        if self.ensemble_size < 2:
            raise InvalidInputError(
                f"ensemble_size must be >= 2 for an uncertainty, got {self.ensemble_size}"
            )
        return [
            train_network(X, z, seed=self.seed + i, **params) for i in range(self.ensemble_size)
        ]

    def _predict_model_dist(self, model: Any, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        preds = np.stack([predict_network(m, X) for m in model])
        return preds.mean(axis=0), preds.std(axis=0, ddof=1)
