"""Performance predictors behind one init/query API (see :mod:`naspred.predictors.base`).

``make_predictor("xgb", encoding="adjacency", seed=0)`` builds one by name;
``list_predictors()`` lists them all, one line each; ``make_predictor("zc:synflow")``
turns a zero-cost proxy into a predictor with an empty ``fit``. How the modules are
laid out (the API, the families, one module per predictor) is in
:mod:`naspred.predictors.base`.
"""

# one module per predictor; importing registers it
from naspred.predictors import (  # noqa: F401
    bananas,
    bonas,
    dngo,
    early_stopping,
    ensemble,
    gates,
    gcn,
    gin,
    gp,
    lce,
    lcsvr,
    lgb,
    mlp,
    ngb,
    omni,
    pinat,
    rf,
    seminas,
    sotl,
    sparse_gp,
    ta_gates,
    wl_gp,
    xgb,
    zc_xgb,
)
from naspred.predictors._encoded import EncodedPredictor, EncodedProbabilisticPredictor
from naspred.predictors.base import (
    DataNeeds,
    MissingInfoError,
    Predictor,
    ProbabilisticPredictor,
    ZeroCostPredictor,
    curve_key,
    proxy_key,
    task_info,
)
from naspred.predictors.registry import (
    list_predictors,
    make_predictor,
    model_based_predictors,
    predictor_class,
    predictor_names,
    register_predictor,
)

__all__ = [
    "DataNeeds",
    "EncodedPredictor",
    "EncodedProbabilisticPredictor",
    "MissingInfoError",
    "Predictor",
    "ProbabilisticPredictor",
    "ZeroCostPredictor",
    "curve_key",
    "list_predictors",
    "make_predictor",
    "model_based_predictors",
    "predictor_class",
    "predictor_names",
    "proxy_key",
    "register_predictor",
    "task_info",
]
