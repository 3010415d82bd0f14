"""XGBoost on an encoding plus zero-cost proxy scores ("ZC + XGBoost").

Krishnakumar, White, Zela, Tu, Safari & Hutter, "NAS-Bench-Suite-Zero:
Accelerating Research on Zero Cost Proxies", NeurIPS 2022 Datasets and
Benchmarks: adding the proxies' scores as features to a model-based predictor's
encoding improves its rank correlation, most with few training archs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from naspred.predictors.registry import register_predictor
from naspred.predictors.xgb import XGBoostPredictor

#: The Suite-Zero proxies stored for every space in the shared records
#: (the paper's 13 less ``nwot``, which those files lack).
DEFAULT_PROXIES: tuple[str, ...] = (
    "epe_nas",
    "fisher",
    "flops",
    "grad_norm",
    "grasp",
    "jacov",
    "l2_norm",
    "params",
    "plain",
    "snip",
    "synflow",
    "zen",
)


@register_predictor("zc_xgb")
class ZeroCostXGBoostPredictor(XGBoostPredictor):
    """XGBoost on ``[encoding, proxy scores]`` (Krishnakumar et al.,
    NAS-Bench-Suite-Zero, NeurIPS 2022), with the ``xgb`` predictor's model
    hyper-parameters; non-finite scores are treated as missing values.

    Args:
        proxies: the proxies whose scores, read from ``info["proxy:<name>"]`` at
            fit and query time, become feature columns (one name: that proxy only).
    """

    description: ClassVar[str] = "XGBoost on encoding + zero-cost proxy scores"
    paper: ClassVar[str] = "Krishnakumar et al., NAS-Bench-Suite-Zero, NeurIPS 2022"

    proxies: Sequence[str] = DEFAULT_PROXIES

    def _proxy_names(self) -> tuple[str, ...]:
        if isinstance(self.proxies, str):
            return (self.proxies,)
        return tuple(self.proxies)
