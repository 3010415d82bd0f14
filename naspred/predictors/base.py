r"""The predictor API: one init/query interface for every performance predictor.

Follows scikit-learn's estimator contract: constructor arguments are only
hyper-parameters, stored as given; ``fit(archs, y, info=None)`` (the *init*
phase) learns and returns ``self``; learned state ends in ``_``;
``query(archs, info=None)`` (the *query* phase) returns one prediction per arch.
Every random choice follows the ``seed`` hyper-parameter, and no predictor
draws from (or reseeds) Python's, numpy's or torch's global random state.

``archs`` are :class:`naspred.spaces.base.Arch` objects,
:class:`~naspred.spaces.base.LabelledDAG`\\ s, or any form
:func:`naspred.spaces.parse_arch` reads (NB201/NATS strings, DARTS genotypes, NB101
``(matrix, ops)`` specs; Suite-Zero keys once the space is known from an ``Arch``
in the same call or from the archs ``fit`` saw). They are read once, at this
boundary (:func:`read_archs`, wrapped around every subclass's ``fit``, ``query``
and ``query_dist``), so the models only ever see ``Arch``/``LabelledDAG`` objects and
a predictor answers alike for an arch in any of its forms. ``info`` is an optional mapping of
per-arch side data aligned with ``archs``: ``"proxy:<name>"`` -> ``(n,)`` scores,
``"curve:<metric>"`` -> ``(n, epochs)`` partial learning curves. A predictor
declares what it needs in :attr:`Predictor.needs` (a :class:`DataNeeds`), so a
caller (the evaluator, a NAS loop) hands it exactly that and can charge its cost.

The module structure of :mod:`naspred.predictors`, base classes first:

* here, :class:`Predictor` (hyper-parameters declared as in
  :mod:`naspred.predictors._params`), :class:`ProbabilisticPredictor` (adds
  ``query_dist``) and :class:`ZeroCostPredictor` (a proxy's stored score);
* the families, each in its own module: predictors on an encoding
  (:mod:`~naspred.predictors._encoded`, with the tree ensembles in
  :mod:`~naspred.predictors._trees` and the feed-forward networks in
  :mod:`~naspred.predictors._nn`), graph neural networks
  (:mod:`~naspred.predictors._graph`), learning-curve predictors
  (:mod:`~naspred.predictors._curves`) and the Bayesian linear regression head
  (:mod:`~naspred.predictors._blr`);
* one leaf module per registered predictor, holding only that predictor.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator

from naspred.errors import InvalidInputError, MissingInfoError, NotFittedError, WrongTypeError
from naspred.metrics import kendall
from naspred.predictors._params import declare_hyperparameters
from naspred.spaces import parse_arch
from naspred.spaces.base import Arch, LabelledDAG

#: What a predictor's methods are given: an arch, its DAG view, a string, or any
#: other form :func:`naspred.spaces.parse_arch` reads (genotypes and specs are
#: duck-typed, hence ``Any``).
ArchLike = Arch | LabelledDAG | str | Any
Info = Mapping[str, np.ndarray]


def read_archs(archs: Sequence[Any], space: str | None = None) -> Sequence[Arch | LabelledDAG]:
    """``archs`` with every item that is not yet an ``Arch`` or ``LabelledDAG`` parsed.

    A sequence that holds only those already is returned as it is (the same object),
    so a caller that passes ``Arch`` objects gets exactly the old behaviour.

    Args:
        archs: archs in any form :func:`naspred.spaces.parse_arch` reads.
        space: the space to read keys in when no ``Arch`` among ``archs`` names one
            (the ``Arch`` objects' space wins when they all share one); None: each
            form must tell its space.

    Raises:
        WrongTypeError: ``archs`` is a single string, not a sequence of archs.
        ArchKeyError: an item that is no arch (the message names it and the forms).
    """
    if isinstance(archs, str):
        raise WrongTypeError(
            f"archs must be a sequence of archs, got the single string {archs[:80]!r}; "
            "wrap it in a list"
        )
    pending = [i for i, a in enumerate(archs) if not isinstance(a, (Arch, LabelledDAG))]
    if not pending:
        return archs
    spaces = {a.space for a in archs if isinstance(a, Arch)}
    if len(spaces) == 1:
        space = spaces.pop()
    out = list(archs)
    for i in pending:
        out[i] = parse_arch(out[i], space)
    return out


def _reading_archs(method: Callable, fitting: bool) -> Callable:
    """``method`` (a ``fit``, ``query`` or ``query_dist``) with its ``archs`` read by
    :func:`read_archs` first; ``fit`` also remembers the archs' space, so that later
    queries may be given as that space's Suite-Zero keys."""

    @functools.wraps(method)
    def reading(self: Predictor, archs: Sequence[Any], *args: Any, **kwargs: Any) -> Any:
        space = None if fitting else self.__dict__.get("_arch_space")
        archs = read_archs(archs, space)
        result = method(self, archs, *args, **kwargs)
        if fitting:
            spaces = {a.space for a in archs if isinstance(a, Arch)}
            # not learned state (no trailing "_"): where the inputs came from
            self._arch_space = spaces.pop() if len(spaces) == 1 else None
        return result

    reading.reads_arch_forms = True  # type: ignore[attr-defined]
    return reading


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
    """The ``info`` mapping ``needs`` asks for, for some archs of a task.

    Args:
        task: a :class:`naspred.benchmarks.Task`.
        rows: the archs' rows in ``task``.
        needs: what the predictor reads (its :attr:`Predictor.needs`).

    Returns:
        ``"proxy:<name>"`` -> the stored scores of each proxy in ``needs.proxies``,
        and ``"curve:<metric>"`` -> the first ``needs.curve_epochs`` epochs of each
        stored curve in ``needs.curve_metrics``, aligned with ``rows``.

    Raises:
        MissingInfoError: the task stores no such proxy or curve, or too few epochs.
    """
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

    Subclasses declare their hyper-parameters as annotated class attributes with
    defaults (see :mod:`naspred.predictors._params`: every subclass becomes a
    keyword-only dataclass, so ``get_params``/``set_params``/``sklearn.clone``
    work), document them in an ``Args:`` section of the class docstring, set the
    class attributes ``name``, ``description`` and ``paper``, and override
    :meth:`fit` and :meth:`query`.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    paper: ClassVar[str] = ""
    probabilistic: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        declare_hyperparameters(cls)
        # every entry point reads the archs' forms once, whatever the subclass overrides
        for name in ("fit", "query", "query_dist"):
            method = cls.__dict__.get(name)
            if method is not None and not getattr(method, "reads_arch_forms", False):
                setattr(cls, name, _reading_archs(method, fitting=name == "fit"))

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

    # ---- scikit-learn's names, so cross_val_score, GridSearchCV and Pipeline work ----

    def predict(self, archs: Sequence[ArchLike], info: Info | None = None) -> np.ndarray:
        """scikit-learn's name for :meth:`query`."""
        return self.query(archs, info)

    def score(self, archs: Sequence[ArchLike], y: np.ndarray, info: Info | None = None) -> float:
        """Kendall's tau between ``y`` and the predictions for ``archs`` (what NAS needs:
        the ranking), the score scikit-learn's model selection maximises.

        Args:
            archs: the archs to predict.
            y: their true targets.
            info: side data, as for :meth:`query`.

        Returns:
            Kendall's tau over the archs with a finite target and prediction (NaN for
            constant predictions).
        """
        return kendall(np.asarray(y, dtype=float), self.predict(archs, info))

    # ---- helpers for subclasses ------------------------------------------------

    def _check_fitted(self, attr: str, hint: str = "") -> None:
        if not hasattr(self, attr):
            raise NotFittedError(
                f"{type(self).__name__} is not fitted; call fit(archs, y) first{hint}"
            )

    def _fit_nothing(self, archs: Sequence[ArchLike], y: np.ndarray, info: Info | None) -> None:
        """``fit`` of a predictor that learns nothing: check that ``y`` matches the
        archs and that the side data the query will need is given, and record the
        training-set size (``n_train_``)."""
        if len(np.ravel(y)) != len(archs):
            raise InvalidInputError(f"{len(archs)} archs but {len(np.ravel(y))} targets")
        if len(archs):
            self._side_data(info, len(archs))
        self.n_train_ = len(archs)

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
        """The predictive mean of :meth:`query_dist`."""
        return self.query_dist(archs, info)[0]


class ZeroCostPredictor(Predictor):
    """A zero-cost proxy's score as a prediction (Abdelfattah et al., "Zero-Cost
    Proxies for Lightweight NAS", ICLR 2021; Krishnakumar et al.,
    "NAS-Bench-Suite-Zero", NeurIPS 2022 Datasets and Benchmarks).

    ``fit`` learns nothing (it checks that the scores can be had) and ``query``
    returns the proxy's scores from ``info["proxy:<proxy>"]`` unchanged
    (non-finite scores included; metrics drop them and count them).

    Args:
        proxy: the :mod:`naspred.proxies` name whose stored or computed scores are
            returned (higher = predicted better).
    """

    name: ClassVar[str] = "zc"
    description: ClassVar[str] = "a zero-cost proxy's score (empty fit); proxy= names it"
    paper: ClassVar[str] = "Abdelfattah et al., ICLR 2021"

    proxy: str = "synflow"

    @property
    def needs(self) -> DataNeeds:
        """The proxy's stored scores, ``info["proxy:<proxy>"]``."""
        return DataNeeds(proxies=(self.proxy,))

    def fit(
        self, archs: Sequence[ArchLike], y: np.ndarray, info: Info | None = None
    ) -> ZeroCostPredictor:
        """Learn nothing; check that ``info`` carries the proxy's scores for ``archs``."""
        self._fit_nothing(archs, y, info)
        return self

    def query(self, archs: Sequence[ArchLike], info: Info | None = None) -> np.ndarray:
        """The proxy's scores of ``archs`` from ``info``, unchanged (higher = better)."""
        self._check_fitted("n_train_")
        return self._side_data(info, len(archs))[proxy_key(self.proxy)].copy()


def check_targets(y: np.ndarray, n: int) -> np.ndarray:
    """``y`` as a finite float vector of length ``n``.

    Raises:
        InvalidInputError: ``y`` has another length, fewer than 2 entries, or a
            non-finite one.
    """
    y = np.asarray(y, dtype=float).ravel()
    if y.shape != (n,):
        raise InvalidInputError(f"{n} archs but {y.size} targets")
    if n < 2:
        raise InvalidInputError(f"need at least 2 training archs, got {n}")
    if not np.all(np.isfinite(y)):
        raise InvalidInputError(f"targets must be finite; {int((~np.isfinite(y)).sum())} are not")
    return y
