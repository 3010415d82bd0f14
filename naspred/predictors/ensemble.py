"""An ensemble of predictors: the mean of its members' predictions.

White, Zela, Ru, Liu & Hutter, "How Powerful are Performance Predictors in Neural
Architecture Search?", NeurIPS 2021: NASLib's ``Ensemble`` predictor
(``naslib/predictors/ensemble.py``, ``automl/NASLib`` at commit 0b51bc18) fits
several predictors on the same training archs and predicts the mean of their
predictions; Kadlecová et al. ("Surprisingly Strong Performance Prediction with
Neural Graph Features", ICML 2024) pair GRAF's features with both XGBoost and
random forests. Here the members are any predictor specs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from naspred.errors import InvalidInputError
from naspred.predictors._tuning import TunablePredictor
from naspred.predictors.base import ArchLike, DataNeeds, Info, Predictor, check_targets
from naspred.predictors.registry import register_predictor

#: XGBoost (at learning rate 0.05) and a random forest (half the features per split)
#: on GRAF's features, and the WL-kernel GP on the cell graph: on NB201 CIFAR-10 (the
#: predictor study's protocol, seeds 0-4) Kendall 0.752 with 100 training archs,
#: where the best single one, XGBoost at 0.05, has 0.741; with 1,000 it is 0.857, below
#: that XGBoost's 0.861 (the WL-kernel GP gains less from more archs). Chosen among
#: about ten configurations measured on those same seeds
DEFAULT_MEMBERS: tuple[str, ...] = (
    "xgb:encoding=graph_features,learning_rate=0.05",
    "rf:encoding=graph_features,max_features=0.5",
    "wl_gp",
)


@register_predictor("ensemble")
class EnsemblePredictor(TunablePredictor):
    """The mean of its members' predictions (NASLib's ``Ensemble``, White et al.,
    NeurIPS 2021), each member fitted on all the training archs with the
    ensemble's ``seed``.

    It has nothing of its own to tune: tune its members (``"xgb:tune=true"``).

    Args:
        members: the members' predictor specs (:mod:`naspred.predictors.spec`), at
            least one; each gets its side data from ``info`` as its ``needs`` say.
    """

    description: ClassVar[str] = "mean prediction of several predictors (default: xgb, rf, wl_gp)"
    paper: ClassVar[str] = "White et al., NeurIPS 2021 (NASLib's Ensemble)"
    nothing_to_tune: ClassVar[str] = (
        "an ensemble has nothing of its own to tune; tune its members instead, "
        "e.g. members=('xgb:encoding=graph_features,tune=true', ...)"
    )

    members: Sequence[str] = DEFAULT_MEMBERS

    def __post_init__(self) -> None:
        super().__post_init__()
        self._make_members()  # a bad member spec fails at construction, naming it

    def _member_specs(self) -> tuple[str, ...]:
        specs = (self.members,) if isinstance(self.members, str) else tuple(self.members)
        if not specs:
            raise InvalidInputError("ensemble needs at least one member spec, got none")
        return specs

    def _make_members(self) -> list[Predictor]:
        from naspred.predictors.registry import make_predictor

        return [make_predictor(spec, seed=self.seed) for spec in self._member_specs()]

    @property
    def needs(self) -> DataNeeds:
        """Everything any member reads."""
        needs = [m.needs for m in self._make_members()]
        encodings = sorted({n.encoding for n in needs if n.encoding})
        metrics = tuple(dict.fromkeys(m for n in needs if n.curve_epochs for m in n.curve_metrics))
        return DataNeeds(
            encoding="+".join(encodings) or None,
            proxies=tuple(dict.fromkeys(p for n in needs for p in n.proxies)),
            curve_epochs=max(n.curve_epochs for n in needs),
            network=any(n.network for n in needs),
            curve_metrics=metrics or ("val_accuracy",),
        )

    def fit(
        self, archs: Sequence[ArchLike], y: np.ndarray, info: Info | None = None
    ) -> EnsemblePredictor:
        """Fit fresh members, each on all of ``archs``."""
        y = check_targets(y, len(archs))
        members = self._make_members()
        for member in members:
            member.fit(archs, y, info)
        self.members_ = members
        return self

    def query(self, archs: Sequence[ArchLike], info: Info | None = None) -> np.ndarray:
        """The mean of the members' predictions, in the units of ``y``."""
        self._check_fitted("members_")
        preds = [np.asarray(m.query(archs, info), dtype=float) for m in self.members_]
        return np.mean(preds, axis=0) if preds else np.zeros(len(archs))
