"""The predictor API: one init/query interface for every performance predictor.

Follows scikit-learn's estimator contract: constructor arguments are only
hyper-parameters, stored as given; ``fit(archs, y, info=None)`` (the *init*
phase) learns and returns ``self``; learned state ends in ``_``;
``query(archs, info=None)`` (the *query* phase) returns one prediction per arch.
Every random choice follows the ``seed`` hyper-parameter.

``archs`` are :class:`naspred.spaces.base.Arch` objects or
:class:`~naspred.spaces.base.LabelledDAG`\\ s. ``info`` is an optional mapping of
per-arch side data aligned with ``archs``: ``"proxy:<name>"`` -> ``(n,)`` scores,
``"curve:<metric>"`` -> ``(n, epochs)`` partial learning curves. A predictor
declares what it needs in :attr:`Predictor.needs` (a :class:`DataNeeds`), so a
caller (the evaluator, a NAS loop) hands it exactly that and can charge its cost.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator

from naspred.errors import InvalidInputError, MissingInfoError, NotFittedError
from naspred.spaces.base import Arch, LabelledDAG

log = logging.getLogger(__name__)

ArchLike = Arch | LabelledDAG
Info = Mapping[str, np.ndarray]


def proxy_key(name: str) -> str:
    """The ``info`` key of proxy ``name``'s scores: ``"proxy:<name>"``."""
    return f"proxy:{name}"


def curve_key(metric: str = "val_accuracy") -> str:
    """The ``info`` key of a partial learning curve: ``"curve:<metric>"``."""
    return f"curve:{metric}"


@dataclass(frozen=True)
class DataNeeds:
    """What a predictor needs besides the archs (NASLib's ``get_data_reqs``, typed).

    Attributes:
        encoding: the encoding it computes from the archs' DAGs (informational:
            the predictor encodes by itself), or None.
        proxies: proxy names whose scores it reads from ``info["proxy:<name>"]``.
        curve_epochs: epochs of partial learning curve it reads, for each metric in
            ``curve_metrics``, from ``info["curve:<metric>"]`` (0: none).
        network: whether it builds and runs the network itself (needs a space and data).
        curve_metrics: the learning-curve metrics it reads when ``curve_epochs > 0``
            (names of :attr:`naspred.benchmarks.Task.curves`, e.g. ``"train_loss"``).
    """

    encoding: str | None = None
    proxies: tuple[str, ...] = ()
    curve_epochs: int = 0
    network: bool = False
    curve_metrics: tuple[str, ...] = ("val_accuracy",)

    def info_keys(self) -> tuple[str, ...]:
        """The ``info`` keys these needs imply."""
        keys = tuple(proxy_key(p) for p in self.proxies)
        if self.curve_epochs > 0:
            keys += tuple(curve_key(m) for m in self.curve_metrics)
        return keys

    def __str__(self) -> str:
        parts = []
        if self.encoding:
            parts.append(f"encoding={self.encoding}")
        if self.proxies:
            parts.append("proxies=" + ",".join(self.proxies))
        if self.curve_epochs:
            parts.append(f"curve_epochs={self.curve_epochs}")
            if self.curve_metrics != ("val_accuracy",):
                parts.append("curves=" + ",".join(self.curve_metrics))
        if self.network:
            parts.append("network")
        return "; ".join(parts) or "archs only"


def task_info(
    task: Any, rows: Sequence[int] | np.ndarray, needs: DataNeeds
) -> dict[str, np.ndarray]:
    """The ``info`` mapping ``needs`` asks for, for the archs at ``rows`` of a
    :class:`naspred.benchmarks.Task`: stored proxy scores, and the first
    ``needs.curve_epochs`` epochs of each stored curve in ``needs.curve_metrics``."""
    rows = np.asarray(rows)
    info: dict[str, np.ndarray] = {}
    for name in needs.proxies:
        if name not in task.proxies:
            raise MissingInfoError(
                f"task {task.name} stores no proxy {name!r} (it has {task.proxy_names}); "
                "compute the scores with naspred.proxies and pass them as "
                f"info[{proxy_key(name)!r}]"
            )
        info[proxy_key(name)] = np.asarray(task.proxies[name], dtype=float)[rows]
    if needs.curve_epochs:
        curves = getattr(task, "curves", None) or {}
        for metric in needs.curve_metrics:
            if metric not in curves:
                held = f"it has {sorted(curves)}" if curves else "it holds no learning curves"
                raise MissingInfoError(
                    f"task {task.name} stores no {metric!r} learning curve ({held}); pass "
                    f"info[{curve_key(metric)!r}] as an (n, >= {needs.curve_epochs}) array"
                )
            curve = np.asarray(curves[metric], dtype=float)
            if curve.shape[1] < needs.curve_epochs:
                raise MissingInfoError(
                    f"task {task.name} stores {curve.shape[1]} epochs of {metric!r}, "
                    f"fewer than the {needs.curve_epochs} asked for"
                )
            info[curve_key(metric)] = curve[rows, : needs.curve_epochs]
    return info


class Predictor(BaseEstimator):
    """Base class of every predictor (init = :meth:`fit`, query = :meth:`query`).

    Subclasses list all hyper-parameters as keyword arguments of ``__init__`` and
    store them unchanged (so ``get_params``/``set_params``/``sklearn.clone`` work),
    set the class attributes ``name``, ``description`` and ``paper``, and override
    :meth:`fit` and :meth:`query`.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    paper: ClassVar[str] = ""
    probabilistic: ClassVar[bool] = False

    @property
    def needs(self) -> DataNeeds:
        """What :meth:`fit` and :meth:`query` read besides the archs."""
        return DataNeeds()

    def fit(self, archs: Sequence[ArchLike], y: np.ndarray, info: Info | None = None) -> Predictor:
        """Init phase: learn from ``archs`` and their targets ``y``; returns ``self``."""
        raise NotImplementedError(f"predictor {type(self).__name__} does not implement fit()")

    def query(self, archs: Sequence[ArchLike], info: Info | None = None) -> np.ndarray:
        """Query phase: one prediction per arch (higher = predicted better), ``(n,)``."""
        raise NotImplementedError(f"predictor {type(self).__name__} does not implement query()")

    # ---- helpers for subclasses ------------------------------------------------

    def _check_fitted(self, attr: str) -> None:
        if not hasattr(self, attr):
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit(archs, y) first")

    def _side_data(self, info: Info | None, n: int) -> dict[str, np.ndarray]:
        """The ``info`` entries :attr:`needs` declares, checked for presence and shape."""
        needs = self.needs
        out: dict[str, np.ndarray] = {}
        for key in needs.info_keys():
            if info is None or key not in info:
                how = (
                    f"the scores of proxy {key.split(':', 1)[1]!r} for each arch, e.g. "
                    "naspred.predictors.task_info(task, rows, predictor.needs) for stored "
                    "scores or naspred.proxies to compute them"
                    if key.startswith("proxy:")
                    else f"the first {needs.curve_epochs} epochs of each arch's "
                    f"{key.split(':', 1)[1]} curve"
                )
                have = sorted(info) if info else []
                raise MissingInfoError(
                    f"{type(self).__name__} needs info[{key!r}] ({how}); "
                    f"pass info={{{key!r}: array aligned with archs}}; given keys: {have}"
                )
            value = np.asarray(info[key], dtype=float)
            if value.shape[0] != n:
                raise InvalidInputError(
                    f"info[{key!r}] has {value.shape[0]} rows but there are {n} archs"
                )
            if key.startswith("curve:"):
                if value.ndim != 2 or value.shape[1] < needs.curve_epochs:
                    raise InvalidInputError(
                        f"info[{key!r}] must be (n, >= {needs.curve_epochs}), got {value.shape}"
                    )
                value = value[:, : needs.curve_epochs]
            elif value.ndim != 1:
                raise InvalidInputError(
                    f"info[{key!r}] must be one score per arch, got {value.shape}"
                )
            out[key] = value
        return out


class ProbabilisticPredictor(Predictor):
    """A predictor that also returns its uncertainty, for Bayesian optimisation."""

    probabilistic: ClassVar[bool] = True

    def query_dist(
        self, archs: Sequence[ArchLike], info: Info | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Predictive mean and standard deviation (> 0), each ``(n,)``, in the units of ``y``."""
        raise NotImplementedError(
            f"predictor {type(self).__name__} does not implement query_dist()"
        )

    def query(self, archs: Sequence[ArchLike], info: Info | None = None) -> np.ndarray:
        return self.query_dist(archs, info)[0]


class ZeroCostPredictor(Predictor):
    """A zero-cost proxy behind the predictor API: ``fit`` learns nothing and
    ``query`` returns the proxy's scores from ``info["proxy:<proxy>"]`` unchanged
    (non-finite scores included; metrics drop them and count them).

    Abdelfattah et al., "Zero-Cost Proxies for Lightweight NAS", ICLR 2021;
    Krishnakumar et al., "NAS-Bench-Suite-Zero", NeurIPS 2022 Datasets and Benchmarks.
    """

    name: ClassVar[str] = "zc"
    description: ClassVar[str] = "a zero-cost proxy's score (empty fit); proxy= names it"
    paper: ClassVar[str] = "Abdelfattah et al., ICLR 2021"

    def __init__(self, proxy: str = "synflow") -> None:
        self.proxy = proxy

    @property
    def needs(self) -> DataNeeds:
        return DataNeeds(proxies=(self.proxy,))

    def fit(
        self, archs: Sequence[ArchLike], y: np.ndarray, info: Info | None = None
    ) -> ZeroCostPredictor:
        y = np.asarray(y, dtype=float)
        if len(y) != len(archs):
            raise InvalidInputError(f"{len(archs)} archs but {len(y)} targets")
        # no learning, but check the caller can supply the scores the query will need
        if len(archs):
            self._side_data(info, len(archs))
        self.n_train_ = len(archs)
        return self

    def query(self, archs: Sequence[ArchLike], info: Info | None = None) -> np.ndarray:
        self._check_fitted("n_train_")
        return self._side_data(info, len(archs))[proxy_key(self.proxy)].copy()


def check_targets(y: np.ndarray, n: int) -> np.ndarray:
    """``y`` as a finite float vector of length ``n``."""
    y = np.asarray(y, dtype=float).ravel()
    if y.shape != (n,):
        raise InvalidInputError(f"{n} archs but {y.size} targets")
    if n < 2:
        raise InvalidInputError(f"need at least 2 training archs, got {n}")
    if not np.all(np.isfinite(y)):
        raise InvalidInputError(f"targets must be finite; {int((~np.isfinite(y)).sum())} are not")
    return y


class EncodedPredictor(Predictor):
    """A predictor on an encoding of the archs (plus, optionally, proxy scores).

    Handles what they share: the encoder is fitted on the training archs and
    reused at query time; proxy scores named in :attr:`needs` become extra
    columns (non-finite scores become NaN); features are standardised where the
    model wants it (``scale_features``); targets are standardised inside ``fit``
    and predictions returned in the original units. With ``tune=True`` (where a
    subclass offers it) a small random search with k-fold cross-validation, scored
    by Kendall's tau, picks the model's hyper-parameters first (White et al., "How
    Powerful are Performance Predictors in Neural Architecture Search?", NeurIPS
    2021). The chosen ones are in ``params_``.

    Subclasses store ``encoding``, ``encoding_kw`` and ``seed`` (and ``tune``,
    ``tune_trials``, ``tune_folds`` if tunable) and implement
    :meth:`_default_params`, :meth:`_fit_model`, :meth:`_predict_model` (and
    :meth:`_sample_params` if tunable).
    """

    default_encoding: ClassVar[str] = "adjacency"
    scale_features: ClassVar[bool] = False

    @property
    def needs(self) -> DataNeeds:
        return DataNeeds(encoding=self._encoding_name(), proxies=self._proxy_names())

    def _encoding_name(self) -> str:
        return getattr(self, "encoding", None) or self.default_encoding

    def _proxy_names(self) -> tuple[str, ...]:
        return ()

    # ---- to implement ------------------------------------------------------------

    def _default_params(self) -> dict[str, Any]:
        """The model's hyper-parameters as set in the constructor."""
        raise NotImplementedError(f"{type(self).__name__} does not implement _default_params()")

    def _sample_params(self, rng: np.random.Generator) -> dict[str, Any]:
        """One random configuration for tuning."""
        raise NotImplementedError(f"{type(self).__name__} offers no hyper-parameter tuning")

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

    def fit(
        self, archs: Sequence[ArchLike], y: np.ndarray, info: Info | None = None
    ) -> EncodedPredictor:
        y = check_targets(y, len(archs))
        X = self._features(archs, info, fit=True)
        self.y_mean_ = float(y.mean())
        std = float(y.std())
        self.y_scale_ = std if std > 0 else 1.0
        z = (y - self.y_mean_) / self.y_scale_
        params = self._default_params()
        if getattr(self, "tune", False):
            params = self._tune(X, z, params)
        self.params_ = params
        self.model_ = self._fit_model(X, z, params)
        return self

    def query(self, archs: Sequence[ArchLike], info: Info | None = None) -> np.ndarray:
        self._check_fitted("model_")
        X = self._features(archs, info, fit=False)
        return self._predict_model(self.model_, X) * self.y_scale_ + self.y_mean_

    def _tune(self, X: np.ndarray, z: np.ndarray, default: dict[str, Any]) -> dict[str, Any]:
        from sklearn.model_selection import KFold

        from naspred.metrics import kendall

        folds = int(self.tune_folds)
        if len(z) < 2 * folds:
            log.warning(
                "%s: %d training archs are too few for %d-fold tuning; using the defaults",
                type(self).__name__,
                len(z),
                folds,
            )
            return default
        rng = np.random.default_rng(self.seed)
        # the defaults are the first candidate, so tuning never does worse on CV
        candidates = [default] + [
            {**default, **self._sample_params(rng)} for _ in range(int(self.tune_trials) - 1)
        ]
        splits = list(KFold(folds, shuffle=True, random_state=self.seed).split(X))
        results = []
        for params in candidates:
            taus = []
            for train, val in splits:
                model = self._fit_model(X[train], z[train], params)
                taus.append(kendall(z[val], self._predict_model(model, X[val])))
            finite = [t for t in taus if np.isfinite(t)]
            # a candidate that predicts a constant on every fold has no tau: never best
            results.append((params, float(np.mean(finite)) if finite else np.nan))
        self.tune_results_ = results
        best = max(results, key=lambda r: r[1] if np.isfinite(r[1]) else -np.inf)
        log.info("%s: tuned CV Kendall tau %.3f with %s", type(self).__name__, best[1], best[0])
        return best[0]


class EncodedProbabilisticPredictor(EncodedPredictor, ProbabilisticPredictor):
    """An :class:`EncodedPredictor` with a predictive distribution; implement
    :meth:`_predict_model_dist` (standardised mean and std)."""

    #: floor on the predictive std, relative to the target scale, so it is always > 0
    min_std: ClassVar[float] = 1e-6

    def _predict_model_dist(self, model: Any, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError(f"{type(self).__name__} does not implement _predict_model_dist()")

    def _predict_model(self, model: Any, X: np.ndarray) -> np.ndarray:
        return self._predict_model_dist(model, X)[0]

    def query(self, archs: Sequence[ArchLike], info: Info | None = None) -> np.ndarray:
        return EncodedPredictor.query(self, archs, info)

    def query_dist(
        self, archs: Sequence[ArchLike], info: Info | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        self._check_fitted("model_")
        X = self._features(archs, info, fit=False)
        mean, std = self._predict_model_dist(self.model_, X)
        std = np.maximum(np.asarray(std, dtype=float), self.min_std) * self.y_scale_
        return mean * self.y_scale_ + self.y_mean_, std
