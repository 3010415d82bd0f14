"""Exact Gaussian-process regression on an encoding.

Rasmussen & Williams, "Gaussian Processes for Machine Learning", MIT Press 2006;
as a NAS performance predictor: White et al., "How Powerful are Performance
Predictors in Neural Architecture Search?", NeurIPS 2021. Cost grows as n^3, so
use ``sparse_gp`` for thousands of training archs.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from naspred.predictors._encoded import EncodedProbabilisticPredictor
from naspred.predictors._params import Choice, LogUniform, model_param
from naspred.predictors.registry import register_predictor


@register_predictor("gp")
class GaussianProcessPredictor(EncodedProbabilisticPredictor):
    """Exact Gaussian-process regression (Rasmussen & Williams, 2006; as a NAS
    predictor, White et al., NeurIPS 2021): kernel ``c * Matern(nu) + white noise``
    on the standardised encoding, with an isotropic length scale; kernel
    hyper-parameters maximise the marginal likelihood (``n_restarts`` random
    restarts, seeded). The std is the predictive std of a new observation.

    Tuning: NASLib fixes its GP's kernel, so the search is ours: the Matern
    smoothness over the three half-integer values Rasmussen & Williams discuss
    (Section 4.2: 0.5, 1.5, 2.5) and the noise variance the optimiser starts from
    (log-uniform in 1e-3..1; its optimum depends on the start).

    Args:
        nu: smoothness of the Matern kernel (0.5, 1.5, 2.5 or inf).
        noise: initial variance of the white-noise kernel (then fitted).
        n_restarts: extra random starts of the kernel optimiser.
    """

    description: ClassVar[str] = "exact Gaussian process (Matern kernel) on an encoding"
    paper: ClassVar[str] = "Rasmussen & Williams 2006; White et al., NeurIPS 2021"
    scale_features: ClassVar[bool] = True

    nu: float = model_param(2.5, search=Choice((0.5, 1.5, 2.5)))
    noise: float = model_param(0.1, search=LogUniform(1e-3, 1.0))
    n_restarts: int = model_param(0)

    def _fit_model(self, X: np.ndarray, z: np.ndarray, params: dict[str, Any]) -> Any:
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

        # standardised features: typical distances grow as sqrt(d)
        scale = np.sqrt(max(X.shape[1], 1))
        kernel = ConstantKernel(1.0, (1e-3, 1e2)) * Matern(
            length_scale=scale, length_scale_bounds=(1e-2 * scale, 1e2 * scale), nu=params["nu"]
        ) + WhiteKernel(params["noise"], (1e-6, 1e1))
        model = GaussianProcessRegressor(
            kernel=kernel,
            normalize_y=False,
            n_restarts_optimizer=params["n_restarts"],
            random_state=self.seed,
        )
        return model.fit(X, z)

    def _predict_model_dist(self, model: Any, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mean, std = model.predict(X, return_std=True)
        return np.asarray(mean, float), np.asarray(std, float)
