"""OMNI: NGBoost on an encoding, learning-curve and zero-cost features.

White, Zela, Ru, Liu and Hutter, "How Powerful are Performance Predictors in
Neural Architecture Search?", NeurIPS 2021, Section 5: the "omnipotent"
predictor combines the three families the paper found complementary: a
model-based predictor (NGBoost on the arch encoding), a learning-curve feature
(SoTL-E, Ru et al., NeurIPS 2021: the negated training loss of the last epoch(s)
trained) and a zero-cost proxy (jacov, Mellor et al., 2021). It needs fully
trained archs to fit (init) and, at query time, each arch's first ``epochs``
epochs of training loss and its jacov score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from naspred.errors import InvalidInputError
from naspred.predictors.base import ArchLike, DataNeeds, Info, curve_key
from naspred.predictors.lcsvr import CurveFeatureMixin
from naspred.predictors.ngb import NGBoostPredictor
from naspred.predictors.registry import register_predictor


@register_predictor("omni")
class OMNI(CurveFeatureMixin, NGBoostPredictor):
    """NGBoost (the :class:`~naspred.predictors.ngb.NGBoostPredictor` defaults) on
    [encoding, SoTL-E over the last ``E`` of the first ``epochs`` epochs of
    ``info["curve:train_loss"]``, the ``proxy`` score from ``info["proxy:jacov"]``]
    (White et al., NeurIPS 2021). A task that stores no jacov needs its scores
    computed with :mod:`naspred.proxies` first. ``epochs=0`` leaves the SoTL-E
    feature out (encoding + proxy only)."""

    description: ClassVar[str] = "NGBoost on encoding + SoTL-E + jacov (the OMNI predictor)"
    paper: ClassVar[str] = "White et al., NeurIPS 2021"
    # the paper uses OMNI as a point predictor (its ranking is what is scored), so it
    # is not offered to Bayesian-optimisation loops as one with calibrated uncertainty,
    # although NGBoost's query_dist is inherited and works
    probabilistic: ClassVar[bool] = False

    def __init__(
        self,
        epochs: int = 5,
        E: int = 1,  # noqa: N803 - SoTL-E's name
        proxy: str = "jacov",
        encoding: str | None = None,
        encoding_kw: Mapping[str, Any] | None = None,
        seed: int = 0,
        n_estimators: int = 505,
        learning_rate: float = 0.08,
        minibatch_frac: float = 0.5,
        max_depth: int = 6,
        max_features: float = 0.79,
        min_samples_leaf: int = 15,
        min_samples_split: int = 20,
        tune: bool = False,
        tune_trials: int = 20,
        tune_folds: int = 3,
    ) -> None:
        super().__init__(
            encoding=encoding,
            encoding_kw=encoding_kw,
            seed=seed,
            n_estimators=n_estimators,
            learning_rate=learning_rate,
            minibatch_frac=minibatch_frac,
            max_depth=max_depth,
            max_features=max_features,
            min_samples_leaf=min_samples_leaf,
            min_samples_split=min_samples_split,
            tune=tune,
            tune_trials=tune_trials,
            tune_folds=tune_folds,
        )
        self.epochs = epochs
        self.E = E
        self.proxy = proxy

    @property
    def needs(self) -> DataNeeds:
        return DataNeeds(
            encoding=self._encoding_name(),
            proxies=self._proxy_names(),
            curve_epochs=int(self.epochs),
            curve_metrics=("train_loss",),
        )

    def _proxy_names(self) -> tuple[str, ...]:
        return (self.proxy,) if self.proxy else ()

    def _curve_columns(self, side: dict[str, np.ndarray], n: int) -> np.ndarray:
        if int(self.epochs) <= 0:
            return np.empty((n, 0))
        if int(self.E) < 1:
            raise InvalidInputError(f"OMNI needs E >= 1, got {self.E}")
        loss = side[curve_key("train_loss")]
        return -loss[:, -int(self.E) :].sum(axis=1, keepdims=True)

    def _features(self, archs: Sequence[ArchLike], info: Info | None, fit: bool) -> np.ndarray:
        X = super()._features(archs, info, fit)
        # NGBoost's trees take no NaN: a proxy score that is missing or not finite
        # becomes the training median of its column
        if fit:
            med = np.nanmedian(np.where(np.isfinite(X), X, np.nan), axis=0)
            self.fill_ = np.nan_to_num(med)
        return np.where(np.isfinite(X), X, self.fill_)
