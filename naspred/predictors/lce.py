"""Learning-curve extrapolation (LCE) with an ensemble of parametric curve models.

Domhan, Springenberg and Hutter, "Speeding up Automatic Hyperparameter
Optimization of Deep Neural Networks by Extrapolation of Learning Curves",
IJCAI 2015. Each arch's partial validation-accuracy curve is fitted, by bounded
least squares (Levenberg-Marquardt, vectorised over archs), with several of the
paper's increasing, saturating curve families (pow3, log-power, exp3, MMF,
Janoschek, Weibull, Hill3, ilog2); the fitted models
are extrapolated to the final epoch and averaged, each weighted by how well it
fits the observed part.

Unlike the paper, no MCMC over the ensemble's parameters is run (the point
estimate of each model and fit-quality weights replace the posterior): it is one
to two orders of magnitude faster, which is what a study of hundreds of archs
per budget needs, and the ranking of the final values, not a predictive
distribution, is what is scored. Robustness: a model needs more observed epochs
than it has parameters; a model whose fit fails or whose extrapolation is not a
valid accuracy is dropped; with no model left (e.g. fewer than 3 epochs) the
prediction is the last observed value, i.e. early stopping.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from naspred.errors import InvalidInputError
from naspred.predictors._curves import CurvePredictor
from naspred.predictors.registry import register_predictor

#: curve values are fitted as fractions of 1; stored curves are in percent
_SCALE = 100.0


@dataclass(frozen=True)
class CurveModel:
    """One parametric family: ``f(x, *theta)`` with an initial guess from the
    observed curve and box bounds that keep it a plausible accuracy curve."""

    name: str
    f: Callable[..., np.ndarray]
    init: Callable[[np.ndarray, np.ndarray], list[float]]
    lower: tuple[float, ...]
    upper: tuple[float, ...]

    @property
    def n_params(self) -> int:
        """How many parameters ``f`` takes besides ``x``."""
        return len(self.lower)


def _top(y: np.ndarray) -> float:
    # a guess of the asymptote a little above the best value seen, below 1
    return float(min(0.999, max(y.max() + 0.05, 0.05)))


def _bottom(y: np.ndarray) -> float:
    return float(min(max(y[0] - 0.05, 0.0), _top(y) - 0.01))


def _pow3(x, c, a, alpha):
    return c - a * x ** (-alpha)


def _log_power(x, a, b, c):
    return a / (1.0 + (x / np.exp(b)) ** c)


def _exp3(x, c, a, b):
    return c - np.exp(-a * x + b)


def _mmf(x, alpha, beta, kappa, delta):
    return alpha - (alpha - beta) / (1.0 + (kappa * x) ** delta)


def _janoschek(x, alpha, beta, kappa, delta):
    return alpha - (alpha - beta) * np.exp(-kappa * x**delta)


def _weibull(x, alpha, beta, kappa, delta):
    return alpha - (alpha - beta) * np.exp(-((kappa * x) ** delta))


def _hill3(x, ymax, eta, kappa):
    return ymax * x**eta / (kappa**eta + x**eta)


def _ilog2(x, c, a):
    return c - a / np.log(x + 1.0)


#: the curve families of Domhan et al. (2015), Table 1, used here
MODELS: tuple[CurveModel, ...] = (
    CurveModel(
        "pow3",
        _pow3,
        lambda x, y: [_top(y), max(_top(y) - y[0], 1e-3), 0.5],
        (0.0, 0.0, 0.0),
        (1.0, 2.0, 5.0),
    ),
    CurveModel(
        "log_power",
        _log_power,
        lambda x, y: [_top(y), 0.0, -1.0],
        (0.0, -10.0, -10.0),
        (1.0, 10.0, 0.0),
    ),
    CurveModel(
        "exp3",
        _exp3,
        lambda x, y: [_top(y), 0.5, float(np.log(max(_top(y) - y[0], 1e-3))) + 0.5],
        (0.0, 0.0, -20.0),
        (1.0, 10.0, 10.0),
    ),
    *(
        # the sigmoidal families share one parametrisation: asymptote, start, rate, shape
        CurveModel(
            name,
            f,
            lambda x, y: [_top(y), _bottom(y), 0.5, 1.0],
            (0.0, 0.0, 1e-4, 1e-2),
            (1.0, 1.0, 10.0, 10.0),
        )
        for name, f in (("mmf", _mmf), ("janoschek", _janoschek), ("weibull", _weibull))
    ),
    CurveModel(
        "hill3",
        _hill3,
        lambda x, y: [_top(y), 1.0, 1.0],
        (0.0, 1e-2, 1e-3),
        (1.0, 10.0, 1e3),
    ),
    CurveModel(
        "ilog2",
        _ilog2,
        lambda x, y: [_top(y), max((_top(y) - y[0]) * np.log(2.0), 1e-3)],
        (0.0, 0.0),
        (1.0, 5.0),
    ),
)


def _theta(model: CurveModel, u: np.ndarray) -> np.ndarray:
    # bounded parameters from unconstrained ones: lower + (upper - lower) * sigmoid(u)
    lo, hi = np.asarray(model.lower), np.asarray(model.upper)
    return lo + (hi - lo) / (1.0 + np.exp(-u))


def _unbounded(model: CurveModel, theta: np.ndarray) -> np.ndarray:
    lo, hi = np.asarray(model.lower), np.asarray(model.upper)
    frac = np.clip((theta - lo) / (hi - lo), 1e-3, 1.0 - 1e-3)
    return np.log(frac / (1.0 - frac))


def _evaluate(model: CurveModel, x: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """``f`` at the shared epochs ``x`` for each row of parameters ``theta`` (n, k)."""
    with np.errstate(all="ignore"):
        return model.f(x[None, :], *(theta[:, j : j + 1] for j in range(theta.shape[1])))


def fit_curve_model(
    model: CurveModel, x: np.ndarray, Y: np.ndarray, iters: int = 60
) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares fits of ``model`` to every row of ``Y`` (n, m) at epochs ``x`` (m,).

    Levenberg-Marquardt, vectorised over the rows (each with its own damping), on
    parameters mapped through a sigmoid into the model's bounds, so every fit
    stays a plausible curve; a central-difference Jacobian. NaN entries of ``Y``
    are left out of a row's residual.

    Args:
        model: the curve family.
        x: the epochs of the columns of ``Y``.
        Y: one curve per row, fractions of 1.
        iters: Levenberg-Marquardt iterations.

    Returns:
        The parameters (n, k) and each row's mean squared residual (n,): NaN where
        the row has no more observed points than the model has parameters, or the
        fit is not finite.
    """
    Y = np.asarray(Y, dtype=float)
    mask = np.isfinite(Y)
    counts = mask.sum(axis=1)
    Yz = np.where(mask, Y, 0.0)
    n, k = len(Y), model.n_params
    p0 = np.array(
        [
            np.clip(model.init(x[m], y[m]) if m.any() else model.lower, model.lower, model.upper)
            for y, m in zip(Y, mask, strict=True)
        ]
    )
    u = _unbounded(model, p0.reshape(n, k))

    def residual(u: np.ndarray) -> np.ndarray:
        r = _evaluate(model, x, _theta(model, u)) - Yz
        return np.where(mask, r, 0.0)

    def cost(r: np.ndarray) -> np.ndarray:
        c = np.sum(r**2, axis=1)
        return np.where(np.isfinite(c), c, np.inf)

    r = residual(u)
    c = cost(r)
    damping = np.full(n, 1e-2)
    h = 1e-5
    for _ in range(iters):
        J = np.empty((n, len(x), k))
        for j in range(k):
            step = np.zeros(k)
            step[j] = h
            J[:, :, j] = (residual(u + step) - residual(u - step)) / (2 * h)
        J = np.nan_to_num(J, nan=0.0, posinf=0.0, neginf=0.0)
        JtJ = np.einsum("nmi,nmj->nij", J, J)
        g = np.einsum("nmi,nm->ni", J, np.nan_to_num(r))
        diag = np.einsum("nii->ni", JtJ)
        A = JtJ + (damping[:, None] * (diag + 1e-9))[:, :, None] * np.eye(k)[None]
        try:
            delta = np.linalg.solve(A, -g[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            delta = -g / (np.einsum("nii->ni", A) + 1e-12)
        u_new = u + np.clip(np.nan_to_num(delta), -5.0, 5.0)
        r_new = residual(u_new)
        c_new = cost(r_new)
        better = c_new < c
        u = np.where(better[:, None], u_new, u)
        r = np.where(better[:, None], r_new, r)
        c = np.where(better, c_new, c)
        damping = np.clip(np.where(better, damping / 3.0, damping * 4.0), 1e-9, 1e9)
    mse = c / np.maximum(counts, 1)
    mse = np.where((counts > k) & np.isfinite(mse), mse, np.nan)
    return _theta(model, u), mse


def extrapolate_curves(
    Y: np.ndarray,
    final_epoch: float,
    models: tuple[CurveModel, ...] = MODELS,
    noise: float = 1e-4,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The ensemble's value at ``final_epoch`` of each curve (rows of ``Y``: fractions
    of 1 at epochs 1..m).

    Each fitted model's weight is ``1 / (mse + noise)``: a model that fits the
    observed epochs closely counts more, and ``noise`` (a squared accuracy
    fraction: 1e-4 is one point of accuracy) keeps near-perfect fits from taking
    all the weight. A model's extrapolation that is not an accuracy in [0, 1], or
    falls more than 0.2 below the best value the arch already reached, counts as a
    failed fit and is dropped (the families are meant to rise). Rows with no model
    left get their last observed value; rows with none, NaN.

    Args:
        Y: one partial curve per row, fractions of 1 at epochs 1..m (NaN: not seen).
        final_epoch: the epoch to extrapolate to.
        models: the curve families of the ensemble.
        noise: added to each model's mean squared residual before inverting it.

    Returns:
        The predictions (n,) and each model's extrapolation (NaN where dropped).
    """
    Y = np.atleast_2d(np.asarray(Y, dtype=float))
    x = np.arange(1, Y.shape[1] + 1, dtype=float)
    best = np.nanmax(np.where(np.isfinite(Y), Y, -np.inf), axis=1)
    total = np.zeros(len(Y))
    weight = np.zeros(len(Y))
    per_model: dict[str, np.ndarray] = {}
    for model in models:
        theta, mse = fit_curve_model(model, x, Y)
        value = _evaluate(model, np.array([float(final_epoch)]), theta)[:, 0]
        ok = (
            np.isfinite(mse)
            & np.isfinite(value)
            & (value >= -1e-6)
            & (value <= 1.0 + 1e-6)
            & (value >= best - 0.2)
        )
        per_model[model.name] = np.where(ok, value, np.nan)
        w = np.where(ok, 1.0 / (np.where(ok, mse, 0.0) + noise), 0.0)
        total += w * np.where(ok, value, 0.0)
        weight += w
    last = np.array([row[np.isfinite(row)][-1] if np.isfinite(row).any() else np.nan for row in Y])
    with np.errstate(invalid="ignore", divide="ignore"):
        pred = np.where(weight > 0, total / np.where(weight > 0, weight, 1.0), last)
    return pred, per_model


@register_predictor("lce")
class LCE(CurvePredictor):
    """Learning-curve extrapolation (Domhan et al., IJCAI 2015): per arch, an
    ensemble of parametric curve models fitted to the first ``epochs`` epochs of
    validation accuracy and extrapolated to ``final_epoch``. Point fits weighted by
    fit quality, no MCMC (see the module docstring). Training-free; reads
    ``info["curve:val_accuracy"]`` (percent).

    Args:
        epochs: epochs of validation accuracy the curve models are fitted to.
        final_epoch: the epoch extrapolated to; None: the last epoch of the schedule
            is unknown, so the models' value at epoch 1e6, i.e. their asymptote.
        noise: a squared accuracy fraction added to each model's mean squared
            residual before weighting by its inverse (1e-4: one point of accuracy),
            so that a near-perfect fit does not take all the weight.
    """

    description: ClassVar[str] = "parametric learning-curve ensemble extrapolated to final_epoch"
    paper: ClassVar[str] = "Domhan et al., IJCAI 2015"

    final_epoch: int | None = None
    noise: float = 1e-4

    def _score(self, curves: dict[str, np.ndarray]) -> np.ndarray:
        final = 1e6 if self.final_epoch is None else float(self.final_epoch)
        if final < int(self.epochs):
            raise InvalidInputError(
                f"final_epoch {self.final_epoch} is before epochs {self.epochs}"
            )
        pred, _ = extrapolate_curves(
            curves["val_accuracy"] / _SCALE, final, noise=float(self.noise)
        )
        return pred * _SCALE
