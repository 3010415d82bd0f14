"""Sparse Gaussian process with inducing points (SGPR), in plain PyTorch.

Titsias, "Variational Learning of Inducing Variables in Sparse Gaussian
Processes", AISTATS 2009. The collapsed variational bound costs O(n m^2) for
``m`` inducing points, so it fits thousands of training archs in seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch

from naspred.predictors._encoded import EncodedProbabilisticPredictor
from naspred.predictors._params import Choice, LogIntRange, LogUniform, model_param
from naspred.predictors.registry import register_predictor

_JITTER = 1e-6


def _rbf(a: torch.Tensor, b: torch.Tensor, log_ls: torch.Tensor, log_sf2: torch.Tensor):
    a, b = a / log_ls.exp(), b / log_ls.exp()
    d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
    return log_sf2.exp() * torch.exp(-0.5 * d2.clamp_min(0.0))


@dataclass
class _SGPR:
    """Fitted SGPR state (float64 tensors)."""

    Z: torch.Tensor
    log_ls: torch.Tensor
    log_sf2: torch.Tensor
    log_sn2: torch.Tensor
    X: torch.Tensor
    y: torch.Tensor

    def _terms(self, X: torch.Tensor, y: torch.Tensor):
        m = self.Z.shape[0]
        eye = torch.eye(m, dtype=X.dtype)
        sn2 = self.log_sn2.exp()
        L = torch.linalg.cholesky(_rbf(self.Z, self.Z, self.log_ls, self.log_sf2) + _JITTER * eye)
        A = torch.linalg.solve_triangular(
            L, _rbf(self.Z, X, self.log_ls, self.log_sf2), upper=False
        )
        A = A / sn2.sqrt()
        LB = torch.linalg.cholesky(eye + A @ A.T)
        c = torch.linalg.solve_triangular(LB, (A @ y)[:, None], upper=False)[:, 0] / sn2.sqrt()
        return L, A, LB, c

    def elbo(self) -> torch.Tensor:
        """Titsias's collapsed lower bound on log p(y)."""
        X, y = self.X, self.y
        n = X.shape[0]
        sn2 = self.log_sn2.exp()
        _, A, LB, c = self._terms(X, y)
        bound = -0.5 * n * math.log(2 * math.pi) - torch.log(torch.diagonal(LB)).sum()
        bound = bound - 0.5 * n * self.log_sn2 - 0.5 * (y @ y) / sn2 + 0.5 * (c @ c)
        # trace term: what the inducing points fail to explain of the prior variance
        return bound - 0.5 * n * self.log_sf2.exp() / sn2 + 0.5 * (A * A).sum()

    @torch.no_grad()
    def predict(self, Xs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        L, _, LB, c = self._terms(self.X, self.y)
        t1 = torch.linalg.solve_triangular(
            L, _rbf(self.Z, Xs, self.log_ls, self.log_sf2), upper=False
        )
        t2 = torch.linalg.solve_triangular(LB, t1, upper=False)
        mean = t2.T @ c
        var = self.log_sf2.exp() - (t1 * t1).sum(0) + (t2 * t2).sum(0) + self.log_sn2.exp()
        return mean, var.clamp_min(1e-12).sqrt()


@register_predictor("sparse_gp")
class SparseGaussianProcessPredictor(EncodedProbabilisticPredictor):
    """SGPR (Titsias, AISTATS 2009): a GP with an RBF kernel whose inducing inputs
    (initialised at a seeded random subset of the training archs), kernel and noise
    variance maximise the collapsed variational bound with Adam. Implemented in
    PyTorch (float64), no gpytorch. The std is the predictive std of a new
    observation.

    Tuning: NASLib does not tune its sparse GP, so the search is ours: 16 to 256
    inducing points and Adam's rate from 0.01 to 0.1 (log-uniform), one length
    scale per feature or one for all.

    Args:
        num_inducing: inducing points (at most the training archs).
        ard: one RBF length scale per feature instead of one for all.
        iterations: Adam steps on the bound.
        lr: Adam's learning rate.
        noise: initial noise variance (then fitted, floored at 1e-6).
    """

    description: ClassVar[str] = "sparse variational GP (inducing points) for many archs"
    paper: ClassVar[str] = "Titsias, AISTATS 2009"
    scale_features: ClassVar[bool] = True

    num_inducing: int = model_param(128, search=LogIntRange(16, 257))
    ard: bool = model_param(True, search=Choice((True, False)))
    iterations: int = model_param(300)
    lr: float = model_param(0.05, search=LogUniform(0.01, 0.1))
    noise: float = model_param(0.1)

    def _fit_model(self, X: np.ndarray, z: np.ndarray, params: dict[str, Any]) -> _SGPR:
        rng = np.random.default_rng(self.seed)
        n, d = X.shape
        m = min(int(params["num_inducing"]), n)
        Xt = torch.as_tensor(X, dtype=torch.float64)
        yt = torch.as_tensor(z, dtype=torch.float64)
        start = torch.as_tensor(X[rng.choice(n, size=m, replace=False)], dtype=torch.float64)
        # length scales start at the typical distance of standardised features
        ls0 = math.log(math.sqrt(max(d, 1)))
        gp = _SGPR(
            Z=start.clone().requires_grad_(True),
            log_ls=torch.full(
                (d if params["ard"] else 1,), ls0, dtype=torch.float64
            ).requires_grad_(),
            log_sf2=torch.zeros((), dtype=torch.float64, requires_grad=True),
            log_sn2=torch.tensor(math.log(params["noise"]), dtype=torch.float64).requires_grad_(),
            X=Xt,
            y=yt,
        )
        variables = [gp.Z, gp.log_ls, gp.log_sf2, gp.log_sn2]
        opt = torch.optim.Adam(variables, lr=params["lr"])
        for _ in range(int(params["iterations"])):
            opt.zero_grad()
            loss = -gp.elbo() / n
            loss.backward()
            opt.step()
            with torch.no_grad():
                gp.log_sn2.clamp_(min=math.log(1e-6))
        for v in variables:
            v.requires_grad_(False)
        self.elbo_ = float(gp.elbo())
        return gp

    def _predict_model_dist(self, model: _SGPR, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mean, std = model.predict(torch.as_tensor(X, dtype=torch.float64))
        return mean.numpy(), std.numpy()
