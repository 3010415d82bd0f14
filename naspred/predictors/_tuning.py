"""Hyper-parameter tuning for every model-based predictor: one implementation.

White, Zela, Ru, Liu & Hutter, "How Powerful are Performance Predictors in Neural
Architecture Search?", NeurIPS 2021 (NASLib, ``automl/NASLib`` at commit
0b51bc18, ``naslib/predictors/*.py``: each predictor's ``set_random_hyperparams``
and the cross-validated random search of ``naslib/predictors/utils``), tune each
predictor by a random search over its hyper-parameters, the default
configuration scored first, each candidate scored by k-fold cross-validation on
the training archs only.

:class:`TunablePredictor` is the base class of every predictor that learns from
training archs (the encoded ones, the graph networks, the WL-kernel GP). It
declares ``tune``, ``tune_trials``, ``tune_folds`` and ``tune_budget_s``. With
``tune=True``:

* the candidates are the constructor's configuration first, then
  ``tune_trials - 1`` draws from the :func:`~naspred.predictors._params.search_space`
  the class declares (each hyper-parameter's ``search=`` distribution, drawn in
  declaration order from ``seed``);
* each is scored by the mean Kendall tau over ``tune_folds`` seeded folds of the
  training archs (:meth:`TunablePredictor._fold_scorer`: a clone of the predictor
  with the candidate's values fitted on the other folds; encoded predictors encode
  once and fit only their model, the same score faster);
* with ``tune_budget_s``, no candidate is started once that many seconds of
  wall-clock time have passed (the default is always scored, so the result is never
  worse on the cross-validation than not tuning);
* the best candidate, a clone with its values, is fitted on all the training archs
  as ``tuned_``; ``query`` and ``query_dist`` answer through it, and its learned
  attributes (``model_``, ``params_``...) read through ``self`` too. The candidates
  and their scores are in ``tune_results_``, the chosen values in ``tune_config_``,
  how many were scored in ``tune_scored_``.

Constructing a predictor with ``tune=True`` that declares nothing to tune raises
at once (:class:`~naspred.errors.InvalidInputError`).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np

from naspred.errors import InvalidInputError
from naspred.metrics import kendall
from naspred.predictors._params import sample_params, search_space
from naspred.predictors.base import ArchLike, Info, Predictor, check_targets, read_archs

log = logging.getLogger(__name__)

#: scores one candidate (a configured, unfitted clone) on one fold: Kendall tau
FoldScorer = Callable[["TunablePredictor", np.ndarray, np.ndarray], float]


def _answering_through_tuned(method: Callable, name: str) -> Callable:
    """``method`` (a ``query`` or ``query_dist``) answered by ``self.tuned_`` when a
    tuned fit left one: the chosen configuration's hyper-parameters may matter at
    query time too (a graph's reverse edges, a kernel)."""

    @functools.wraps(method)
    def answering(self: TunablePredictor, archs: Sequence[Any], *args: Any, **kw: Any) -> Any:
        tuned = self.__dict__.get("tuned_")
        if tuned is not None:
            return getattr(tuned, name)(archs, *args, **kw)
        return method(self, archs, *args, **kw)

    answering.answers_through_tuned = True  # type: ignore[attr-defined]
    return answering


def _fitting_tuned(method: Callable) -> Callable:
    """``method`` (a ``fit``) preceded by the search when ``self.tune``."""

    @functools.wraps(method)
    def fitting(
        self: TunablePredictor, archs: Sequence[Any], y: np.ndarray, info: Info | None = None
    ) -> Any:
        if self.tune:
            return self._fit_tuned(archs, y, info)
        # a plain refit forgets an earlier search, so queries reach the new fit
        for attr in ("tuned_", "tune_results_", "tune_config_", "tune_scored_"):
            self.__dict__.pop(attr, None)
        return method(self, archs, y, info)

    fitting.answers_through_tuned = True  # type: ignore[attr-defined]
    return fitting


class TunablePredictor(Predictor):
    """A predictor that learns from training archs and can tune its hyper-parameters
    first (see the module docstring).

    Args:
        seed: seed of every random choice of the model, and of tuning's draws and folds.
        tune: run the cross-validated random search before fitting.
        tune_trials: configurations the search may score, the constructor's included.
        tune_folds: folds of the cross-validation (too few training archs for them:
            the constructor's configuration is kept, with a warning).
        tune_budget_s: wall-clock seconds after which the search starts no further
            candidate (the constructor's configuration is always scored); None: no
            limit.
    """

    #: why a predictor that learns from training archs still has nothing to tune
    #: (raised when asked to); empty: it declares a search space
    nothing_to_tune: ClassVar[str] = ""

    seed: int = 0
    tune: bool = False
    tune_trials: int = 20
    tune_folds: int = 3
    tune_budget_s: float | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in ("query", "query_dist"):
            method = cls.__dict__.get(name)
            if method is not None and not getattr(method, "answers_through_tuned", False):
                setattr(cls, name, _answering_through_tuned(method, name))
        method = cls.__dict__.get("fit")
        if method is not None and not getattr(method, "answers_through_tuned", False):
            cls.fit = _fitting_tuned(method)

    def __post_init__(self) -> None:
        if self.tune:
            self._check_tuning()

    def __getattr__(self, name: str) -> Any:
        # learned state of a tuned fit lives on the chosen clone; read it through self
        if name.endswith("_") and not name.startswith("__"):
            tuned = self.__dict__.get("tuned_")
            if tuned is not None:
                return getattr(tuned, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    # ---- the search ----------------------------------------------------------------

    def _check_tuning(self) -> None:
        """Raise unless the tuning hyper-parameters and the search space are usable."""
        name = type(self).__name__
        if self.nothing_to_tune:
            raise InvalidInputError(f"{name}: {self.nothing_to_tune}")
        if not search_space(self):
            raise InvalidInputError(
                f"{name} declares no hyper-parameter to tune (none has a search= "
                "distribution); construct it with tune=False"
            )
        if not (isinstance(self.tune_trials, (int, np.integer)) and self.tune_trials >= 1):
            raise InvalidInputError(
                f"{name}: tune_trials must be an integer >= 1, got {self.tune_trials!r}"
            )
        if not (isinstance(self.tune_folds, (int, np.integer)) and self.tune_folds >= 2):
            raise InvalidInputError(
                f"{name}: tune_folds must be an integer >= 2, got {self.tune_folds!r}"
            )
        budget = self.tune_budget_s
        if budget is not None and not (isinstance(budget, (int, float)) and budget >= 0):
            raise InvalidInputError(
                f"{name}: tune_budget_s must be None or a number of seconds >= 0, got {budget!r}"
            )

    def _configured(self, config: dict[str, Any]) -> TunablePredictor:
        """An unfitted clone of this predictor with ``config``'s values, not tuning."""
        from sklearn.base import clone

        return clone(self).set_params(**config, tune=False)

    def _candidates(self) -> list[dict[str, Any]]:
        """The configurations to score, each a value per searched hyper-parameter, in
        order: the constructor's first."""
        rng = np.random.default_rng(self.seed)
        default = {name: getattr(self, name) for name in search_space(self)}
        return [default] + [sample_params(self, rng) for _ in range(int(self.tune_trials) - 1)]

    def _fold_scorer(
        self, archs: Sequence[ArchLike], y: np.ndarray, info: Info | None
    ) -> FoldScorer:
        """How a candidate is scored on a fold: fit the configured clone on the training
        rows, Kendall tau of its predictions on the held-out rows."""
        # only what `needs` declares is read (a missing key fails in the candidate's fit)
        keys = [k for k in self.needs.info_keys() if info is not None and k in info]
        side = {k: np.asarray(info[k]) for k in keys} if info is not None else {}

        def rows_of(rows: np.ndarray) -> tuple[list[ArchLike], Info | None]:
            part = {k: v[rows] for k, v in side.items()} if info is not None else None
            return [archs[i] for i in rows], part

        def score(candidate: TunablePredictor, train: np.ndarray, val: np.ndarray) -> float:
            fit_archs, fit_info = rows_of(train)
            val_archs, val_info = rows_of(val)
            candidate.fit(fit_archs, y[train], fit_info)
            return kendall(y[val], candidate.query(val_archs, val_info))

        return score

    def _fit_tuned(self, archs: Sequence[ArchLike], y: np.ndarray, info: Info | None) -> Any:
        """Search, then fit the best configuration on every training arch as ``tuned_``."""
        from sklearn.model_selection import KFold

        self._check_tuning()
        archs = list(read_archs(archs, self.__dict__.get("_arch_space")))
        y = check_targets(y, len(archs))
        name = type(self).__name__
        folds = int(self.tune_folds)
        candidates = self._candidates()
        results: list[tuple[dict[str, Any], float]] = []
        best = candidates[0]
        if len(y) < 2 * folds:
            log.warning(
                "%s: %d training archs are too few for %d-fold tuning; using the defaults",
                name,
                len(y),
                folds,
            )
        else:
            splits = list(KFold(folds, shuffle=True, random_state=self.seed).split(archs))
            score = self._fold_scorer(archs, y, info)
            start = time.perf_counter()
            budget = self.tune_budget_s
            for config in candidates:
                if results and budget is not None and time.perf_counter() - start >= budget:
                    break
                taus = [score(self._configured(config), tr, va) for tr, va in splits]
                finite = [t for t in taus if np.isfinite(t)]
                # a candidate that predicts a constant on every fold has no tau: never best
                results.append((config, float(np.mean(finite)) if finite else np.nan))
            spent = time.perf_counter() - start
            best = max(results, key=lambda r: r[1] if np.isfinite(r[1]) else -np.inf)[0]
            log.info(
                "%s: scored %d of %d candidates in %.1f s (budget %s); best CV Kendall tau "
                "%.3f with %s",
                name,
                len(results),
                len(candidates),
                spent,
                "none" if budget is None else f"{budget:g} s",
                max((r[1] for r in results if np.isfinite(r[1])), default=np.nan),
                best,
            )
        tuned = self._configured(best).fit(archs, y, info)
        self.tuned_ = tuned
        self.tune_results_ = results
        self.tune_config_ = dict(best)
        self.tune_scored_ = len(results)
        return self
