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

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from naspred.errors import InvalidInputError
from naspred.predictors._curves import CurveFeatureMixin
from naspred.predictors.base import ArchLike, DataNeeds, Info, curve_key
from naspred.predictors.ngb import NGBoostPredictor
from naspred.predictors.registry import register_predictor


@register_predictor("omni")
class OMNI(CurveFeatureMixin, NGBoostPredictor):
    """The OMNI predictor of White et al. (NeurIPS 2021): NGBoost (with the ``ngb``
    predictor's model hyper-parameters) on [encoding, SoTL-E, a proxy score].

    A task that stores no jacov needs its scores computed with
    :mod:`naspred.proxies` first.

    Args:
        epochs: epochs of ``info["curve:train_loss"]`` read per arch; 0 leaves the
            SoTL-E feature out (encoding + proxy only).
        E: SoTL-E sums the training losses of the last ``E`` of those epochs.
        proxy: the proxy whose score, from ``info["proxy:<proxy>"]``, is a feature;
            empty: none.
    """

    description: ClassVar[str] = "NGBoost on encoding + SoTL-E + jacov (the OMNI predictor)"
    paper: ClassVar[str] = "White et al., NeurIPS 2021"
    # the paper uses OMNI as a point predictor (its ranking is what is scored), so it
    # is not offered to Bayesian-optimisation loops as one with calibrated uncertainty,
    # although NGBoost's query_dist is inherited and works
    probabilistic: ClassVar[bool] = False

    epochs: int = 5
    E: int = 1
    proxy: str = "jacov"

    @property
    def needs(self) -> DataNeeds:
        """The encoding, the proxy and the first ``epochs`` of training loss it reads."""
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
