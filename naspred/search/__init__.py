"""NAS loops that plug predictors in: random search, regularized evolution and a
BANANAS-style predictor-guided loop, a tabular benchmark as their training oracle,
(the study comparing them over seeds is :mod:`naspred.experiments.nas_loop`).

    oracle = BenchmarkOracle(task, budget=150)
    history = predictor_guided_search(space, oracle, 150, seed=0, predictor="gp")

The oracle answers by ``Task.lookup`` for an arch in any form the task's space reads
(an ``Arch``, its key, an NB201 string, ...), counts every query and refuses one past
its budget, so a hand-written loop is as safe as these (README: "NAS loops").
"""

from naspred.errors import QueryBudgetError, UnknownArchError
from naspred.search.loops import (
    ACQUISITIONS,
    HISTORY_COLUMNS,
    acquisition_scores,
    predictor_guided_search,
    random_search,
    regularized_evolution,
)
from naspred.search.oracle import BenchmarkOracle

__all__ = [
    "ACQUISITIONS",
    "HISTORY_COLUMNS",
    "BenchmarkOracle",
    "QueryBudgetError",
    "UnknownArchError",
    "acquisition_scores",
    "predictor_guided_search",
    "random_search",
    "regularized_evolution",
]
