"""A feed-forward network on an encoding, in PyTorch.

White, Neiswanger & Savani, "BANANAS: Bayesian Optimization with Neural
Architectures for Neural Architecture Search", AAAI 2021: 10 fully connected
layers of width 20, Adam at learning rate 0.01, mean-absolute-error loss,
200 epochs. This module also holds the seeded training loop that ``bananas``
and ``dngo`` share.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from naspred.errors import InvalidInputError
from naspred.predictors.base import EncodedPredictor
from naspred.predictors.registry import register_predictor

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh}


class FeedForward(nn.Module):
    """Fully connected layers with an activation after each hidden layer; the last
    hidden representation is :meth:`features` (the basis DNGO regresses on)."""

    def __init__(self, in_dim: int, hidden: Sequence[int], activation: str = "relu") -> None:
        super().__init__()
        if activation not in _ACTIVATIONS:
            raise InvalidInputError(
                f"activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}"
            )
        layers: list[nn.Module] = []
        width = in_dim
        for h in hidden:
            layers += [nn.Linear(width, h), _ACTIVATIONS[activation]()]
            width = h
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(width, 1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x)).squeeze(-1)


@contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run the block with ``n`` intra-op threads (None: leave as is), then restore.

    Networks this small train several times faster on one thread than on many,
    which mostly wait on each other (and on other processes of a shared machine).
    """
    before = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def train_network(
    X: np.ndarray,
    z: np.ndarray,
    hidden: Sequence[int],
    *,
    activation: str = "relu",
    epochs: int = 200,
    lr: float = 0.01,
    batch_size: int = 32,
    weight_decay: float = 0.0,
    loss: str = "l1",
    seed: int = 0,
    threads: int | None = 1,
) -> FeedForward:
    """Train a :class:`FeedForward` regressor with Adam; fully determined by ``seed``.

    Torch's global random state is forked and restored, so training leaves no
    trace in other code's random streams. ``threads`` sets torch's intra-op
    threads for the duration (restored after).
    """
    losses = {"l1": nn.functional.l1_loss, "mse": nn.functional.mse_loss}
    if loss not in losses:
        raise InvalidInputError(f"loss must be one of {sorted(losses)}, got {loss!r}")
    loss_fn = losses[loss]
    Xt = torch.as_tensor(X, dtype=torch.float32)
    zt = torch.as_tensor(z, dtype=torch.float32)
    n = len(Xt)
    with torch.random.fork_rng(devices=[]), torch_threads(threads):
        torch.manual_seed(seed)
        model = FeedForward(Xt.shape[1], hidden, activation)
        opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
        order = torch.Generator().manual_seed(seed)
        model.train()
        for _ in range(int(epochs)):
            perm = torch.randperm(n, generator=order)
            for start in range(0, n, batch_size):
                idx = perm[start : start + batch_size]
                opt.zero_grad()
                loss_fn(model(Xt[idx]), zt[idx]).backward()
                opt.step()
    model.eval()
    return model


@torch.no_grad()
def predict_network(model: FeedForward, X: np.ndarray) -> np.ndarray:
    """The network's outputs for ``X`` as a float64 vector."""
    return model(torch.as_tensor(X, dtype=torch.float32)).double().numpy()


@register_predictor("mlp")
class MLPPredictor(EncodedPredictor):
    """A multi-layer perceptron on the standardised encoding, with the BANANAS
    network's defaults (White et al., AAAI 2021): ``num_layers`` hidden layers of
    ``layer_width`` ReLU units, Adam, L1 loss on standardised targets."""

    description: ClassVar[str] = "multi-layer perceptron (PyTorch) on an encoding"
    paper: ClassVar[str] = "White et al., BANANAS, AAAI 2021"
    scale_features: ClassVar[bool] = True

    def __init__(
        self,
        encoding: str | None = None,
        encoding_kw: Mapping[str, Any] | None = None,
        seed: int = 0,
        num_layers: int = 10,
        layer_width: int = 20,
        epochs: int = 200,
        lr: float = 0.01,
        batch_size: int = 32,
        weight_decay: float = 0.0,
        loss: str = "l1",
    ) -> None:
        self.encoding = encoding
        self.encoding_kw = encoding_kw
        self.seed = seed
        self.num_layers = num_layers
        self.layer_width = layer_width
        self.epochs = epochs
        self.lr = lr
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.loss = loss

    def _default_params(self) -> dict[str, Any]:
        return {
            "hidden": [self.layer_width] * self.num_layers,
            "epochs": self.epochs,
            "lr": self.lr,
            "batch_size": self.batch_size,
            "weight_decay": self.weight_decay,
            "loss": self.loss,
        }

    def _fit_model(self, X: np.ndarray, z: np.ndarray, params: dict[str, Any]) -> Any:
        return train_network(X, z, seed=self.seed, **params)

    def _predict_model(self, model: Any, X: np.ndarray) -> np.ndarray:
        return predict_network(model, X)
