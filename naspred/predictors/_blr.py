"""Bayesian linear regression with evidence-maximising precisions: the head of
DNGO and BONAS.

Snoek et al., "Scalable Bayesian Optimization Using Deep Neural Networks", ICML
2015: a Bayesian linear regression on a network's learned features (plus a bias)
gives a Gaussian predictive distribution; the prior precision ``alpha`` and the
noise precision ``beta`` maximise the marginal likelihood (type-II maximum
likelihood; the paper also offers MCMC over them, which we do not).

The module holds :class:`BayesianLinearRegression` (fit, predictive mean and
std) and :func:`with_bias`; the predictors that use them derive from their own
families: ``dngo`` (:mod:`naspred.predictors._nn`, on an MLP's last hidden layer)
and ``bonas`` (:mod:`naspred.predictors._graph`, on a GCN's graph embedding).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize


def with_bias(phi: np.ndarray) -> np.ndarray:
    """The basis ``phi`` (n, d) with a constant column appended, (n, d + 1)."""
    return np.hstack([phi, np.ones((len(phi), 1))])


@dataclass
class BayesianLinearRegression:
    """Posterior of ``z = phi @ w + noise``, ``w ~ N(0, I/alpha)``, noise ``N(0, 1/beta)``."""

    alpha: float
    beta: float
    mean: np.ndarray  # posterior mean of w
    cov: np.ndarray  # posterior covariance of w

    @classmethod
    def fit(cls, phi: np.ndarray, z: np.ndarray) -> BayesianLinearRegression:
        """The posterior given basis ``phi`` (n, d) and targets ``z`` (n,), with the
        precisions that maximise the evidence (L-BFGS-B on their logarithms)."""
        n, d = phi.shape
        gram, pz = phi.T @ phi, phi.T @ z

        def neg_evidence(log_ab: np.ndarray) -> float:
            alpha, beta = np.exp(log_ab)
            A = alpha * np.eye(d) + beta * gram
            chol = np.linalg.cholesky(A)
            m = beta * np.linalg.solve(A, pz)
            resid = z - phi @ m
            log_det = 2 * np.log(np.diag(chol)).sum()
            ev = 0.5 * d * np.log(alpha) + 0.5 * n * np.log(beta)
            ev -= 0.5 * beta * resid @ resid + 0.5 * alpha * m @ m + 0.5 * log_det
            return float(-(ev - 0.5 * n * np.log(2 * np.pi)))

        bounds = [(np.log(1e-6), np.log(1e6))] * 2
        best = optimize.minimize(
            neg_evidence, np.log([1.0, 100.0]), bounds=bounds, method="L-BFGS-B"
        )
        alpha, beta = np.exp(best.x)
        A = alpha * np.eye(d) + beta * gram
        cov = np.linalg.inv(A)
        return cls(float(alpha), float(beta), beta * cov @ pz, cov)

    def predict(self, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Predictive mean and std (noise included) of new observations at ``phi``."""
        var = 1.0 / self.beta + np.einsum("ij,jk,ik->i", phi, self.cov, phi)
        return phi @ self.mean, np.sqrt(np.maximum(var, 0.0))
