"""Predictors on a fixed-length encoding of the archs: most model-based predictors.

The module structure is the following:

* :class:`EncodedPredictor`, a :class:`~naspred.predictors._tuning.TunablePredictor`,
  implements ``fit`` and ``query`` for any regression
  model on an encoding (plus, optionally, proxy scores): the encoder is fitted on
  the training archs and reused at query time; proxy scores named in
  :attr:`~naspred.predictors.base.Predictor.needs` become extra columns
  (non-finite scores become NaN); columns constant over the training archs are
  dropped; features are standardised where the model wants it
  (``scale_features``); targets are standardised inside ``fit`` and predictions
  returned in the original units. It declares the ``encoding``, ``encoding_kw``
  and ``seed`` hyper-parameters. A subclass implements :meth:`~EncodedPredictor._fit_model`
  and :meth:`~EncodedPredictor._predict_model`; its model's configuration is
  derived from its :func:`~naspred.predictors._params.model_param` declarations.
* :class:`EncodedProbabilisticPredictor` adds ``query_dist`` from a subclass's
  :meth:`~EncodedProbabilisticPredictor._predict_model_dist`.
* Tuning (``tune=True``) is :mod:`naspred.predictors._tuning`'s, with one change:
  the training archs are encoded once and a candidate fits only its model on each
  fold (:meth:`EncodedPredictor._fold_scorer`).

Derived from them, each in its own module: the tree ensembles of
:mod:`naspred.predictors._trees` (``xgb``, ``lgb``, ``rf``, ``zc_xgb``),
``ngb`` and ``omni``, ``lcsvr``, ``gp``, ``sparse_gp``, and the feed-forward
networks of :mod:`naspred.predictors._nn` (``mlp``, ``bananas``, ``dngo``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from naspred.errors import InvalidInputError
from naspred.metrics import kendall
from naspred.predictors._params import model_params
from naspred.predictors._tuning import FoldScorer, TunablePredictor
from naspred.predictors.base import (
    ArchLike,
    DataNeeds,
    Info,
    ProbabilisticPredictor,
    check_targets,
    proxy_key,
)


class EncodedPredictor(TunablePredictor):
    """A regression model on an encoding of the archs (see the module docstring).

    Args:
        encoding: the :func:`naspred.encodings.make_encoder` name of the encoding;
            None: the predictor's default (``default_encoding``).
        encoding_kw: keyword arguments of the encoder (e.g. ``{"max_paths": 40}``).
        seed: seed of every random choice of the model (and of tuning, if it tunes).
    """

    default_encoding: ClassVar[str] = "adjacency"
    scale_features: ClassVar[bool] = False

    encoding: str | None = None
    encoding_kw: Mapping[str, Any] | None = None
    seed: int = 0

    @property
    def needs(self) -> DataNeeds:
        return DataNeeds(encoding=self._encoding_name(), proxies=self._proxy_names())

    def _encoding_name(self) -> str:
        return self.encoding or self.default_encoding

    def _proxy_names(self) -> tuple[str, ...]:
        return ()

    # ---- to implement ------------------------------------------------------------

    def _default_params(self) -> dict[str, Any]:
        """The model's configuration as set in the constructor (default: the
        :func:`~naspred.predictors._params.model_param` hyper-parameters)."""
        return model_params(self)

    def _fit_model(self, X: np.ndarray, z: np.ndarray, params: dict[str, Any]) -> Any:
        """Fit the model on features ``X`` and standardised targets ``z``; return it."""
        raise NotImplementedError(f"{type(self).__name__} does not implement _fit_model()")

    def _predict_model(self, model: Any, X: np.ndarray) -> np.ndarray:
        """Standardised predictions of ``model`` for ``X``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement _predict_model()")

    # ---- the API -----------------------------------------------------------------

    def _features(self, archs: Sequence[ArchLike], info: Info | None, fit: bool) -> np.ndarray:
        from naspred.encodings import as_dags, make_encoder

        dags = as_dags(archs)
        side = self._side_data(info, len(dags))
        if fit:
            self.encoder_ = make_encoder(self._encoding_name(), **dict(self.encoding_kw or {}))
            X = self.encoder_.fit(dags).transform(dags)
        else:
            self._check_fitted("encoder_")
            X = self.encoder_.transform(dags)
        columns = [side[proxy_key(p)] for p in self._proxy_names()]
        if columns:
            extra = np.column_stack(columns)
            # tree models take NaN as "missing"; an infinite score carries no rank information
            extra = np.where(np.isfinite(extra), extra, np.nan)
            X = np.hstack([X, extra])
        if fit:
            # columns constant over the training archs (e.g. NB201's fixed wiring, path
            # labels never seen) carry no information; dropping them also keeps a random
            # forest's feature subsampling from drawing dead columns
            present = ~np.isnan(X)
            high = np.where(present, X, -np.inf).max(axis=0)
            low = np.where(present, X, np.inf).min(axis=0)
            self.keep_ = high > low
            if not self.keep_.any():
                raise InvalidInputError("every feature is constant over the training archs")
        X = X[:, self.keep_]
        if self.scale_features:
            if fit:
                self.x_mean_ = np.nanmean(X, axis=0)
                scale = np.nanstd(X, axis=0)
                self.x_scale_ = np.where(scale > 0, scale, 1.0)
            X = np.nan_to_num((X - self.x_mean_) / self.x_scale_, nan=0.0)
        return X

    def _fold_scorer(
        self, archs: Sequence[ArchLike], y: np.ndarray, info: Info | None
    ) -> FoldScorer:
        """Encode the training archs once; a candidate fits only its model on a fold's
        rows (the encoder's vocabulary and the dropped constant columns come from every
        training arch, which reads no target)."""
        probe = self._configured({})
        X = probe._features(archs, info, fit=True)
        std = float(np.std(y))
        z = (y - float(np.mean(y))) / (std if std > 0 else 1.0)

        def score(candidate: TunablePredictor, train: np.ndarray, val: np.ndarray) -> float:
            assert isinstance(candidate, EncodedPredictor)
            model = candidate._fit_model(X[train], z[train], candidate._default_params())
            return kendall(z[val], candidate._predict_model(model, X[val]))

        return score

    def fit(
        self, archs: Sequence[ArchLike], y: np.ndarray, info: Info | None = None
    ) -> EncodedPredictor:
        y = check_targets(y, len(archs))
        X = self._features(archs, info, fit=True)
        self.y_mean_ = float(y.mean())
        std = float(y.std())
        self.y_scale_ = std if std > 0 else 1.0
        z = (y - self.y_mean_) / self.y_scale_
        self.params_ = self._default_params()
        self.model_ = self._fit_model(X, z, self.params_)
        return self

    def query(self, archs: Sequence[ArchLike], info: Info | None = None) -> np.ndarray:
        self._check_fitted("model_")
        X = self._features(archs, info, fit=False)
        return self._predict_model(self.model_, X) * self.y_scale_ + self.y_mean_


class EncodedProbabilisticPredictor(EncodedPredictor, ProbabilisticPredictor):
    """An :class:`EncodedPredictor` with a predictive distribution; implement
    :meth:`_predict_model_dist` (standardised mean and std)."""

    #: floor on the predictive std, relative to the target scale, so it is always > 0
    min_std: ClassVar[float] = 1e-6

    def _predict_model_dist(self, model: Any, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Standardised predictive mean and std of ``model`` for ``X``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement _predict_model_dist()")

    def _predict_model(self, model: Any, X: np.ndarray) -> np.ndarray:
        return self._predict_model_dist(model, X)[0]

    def query_dist(
        self, archs: Sequence[ArchLike], info: Info | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        self._check_fitted("model_")
        X = self._features(archs, info, fit=False)
        mean, std = self._predict_model_dist(self.model_, X)
        std = np.maximum(np.asarray(std, dtype=float), self.min_std) * self.y_scale_
        return mean * self.y_scale_ + self.y_mean_, std
