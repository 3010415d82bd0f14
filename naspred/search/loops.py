"""NAS loops: random search, regularized evolution and a predictor-guided
(BANANAS-style) loop that takes any registered predictor by name.

Every loop takes a search space with ``sample(rng)`` and ``mutate(arch, rng)``, a
training oracle (a callable ``oracle(arch) -> accuracy``, e.g.
:class:`naspred.search.BenchmarkOracle`), a query budget and a seed, and returns
its history as a DataFrame, one row per oracle query:

``query`` (1-based), ``arch`` (the arch's key), ``accuracy``, ``best`` (best
accuracy found so far; non-decreasing), ``phase`` (what proposed the arch:
``random``, ``mutation``, ``predictor``) and ``elapsed_s`` (the loop's wall time so
far, oracle included).

No loop queries an arch twice: on a tabular benchmark a repeat would spend budget
and learn nothing. A loop that cannot find an unqueried arch (a space nearly
exhausted) stops early, so a history may be shorter than the budget, never longer.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import numpy as np
import pandas as pd

from naspred.errors import InvalidInputError
from naspred.spaces.base import Arch

log = logging.getLogger(__name__)

#: Columns of every history a loop returns.
HISTORY_COLUMNS = ("query", "arch", "accuracy", "best", "phase", "elapsed_s")

#: Proposals tried per arch wanted before a loop decides the space has no new arch.
_TRIES = 50


class Space(Protocol):
    """What a NAS loop needs from a search space."""

    def sample(self, rng: np.random.Generator) -> Arch:
        """One architecture drawn at random with ``rng``."""
        ...

    def mutate(self, arch: Arch, rng: np.random.Generator) -> Arch:
        """A random single-edit neighbour of ``arch``, drawn with ``rng``."""
        ...


Oracle = Callable[[Arch], float]


class _Run:
    """Book-keeping shared by the loops: queried archs, their accuracies, the history."""

    def __init__(self, oracle: Oracle, budget: int) -> None:
        if budget < 1:
            raise InvalidInputError(f"budget must be >= 1 query, got {budget}")
        remaining = getattr(oracle, "remaining", None)
        if remaining is not None and remaining < budget:
            raise InvalidInputError(
                f"the oracle has {remaining} queries left, fewer than budget={budget}"
            )
        self.oracle = oracle
        self.budget = budget
        self.archs: list[Arch] = []
        self.accuracies: list[float] = []
        self.seen: set[Arch] = set()
        self.rows: list[dict[str, Any]] = []
        self.start = time.perf_counter()

    @property
    def left(self) -> int:
        return self.budget - len(self.archs)

    def query(self, arch: Arch, phase: str) -> float:
        if self.left <= 0:
            raise RuntimeError("search loop bug: query beyond its budget")
        if arch in self.seen:
            raise RuntimeError(f"search loop bug: {arch.to_key()!r} queried twice")
        accuracy = float(self.oracle(arch))
        self.archs.append(arch)
        self.accuracies.append(accuracy)
        self.seen.add(arch)
        best = accuracy if not self.rows else max(self.rows[-1]["best"], accuracy)
        self.rows.append(
            {
                "query": len(self.archs),
                "arch": arch.to_key(),
                "accuracy": accuracy,
                "best": best,
                "phase": phase,
                "elapsed_s": time.perf_counter() - self.start,
            }
        )
        return accuracy

    def fresh(self, propose: Callable[[], Arch], exclude: set[Arch] | None = None) -> Arch | None:
        """A proposal not queried yet (nor in ``exclude``), or None after many tries."""
        for _ in range(_TRIES):
            arch = propose()
            if arch not in self.seen and (exclude is None or arch not in exclude):
                return arch
        return None

    def history(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=list(HISTORY_COLUMNS))


def _stop(name: str, run: _Run) -> None:
    log.warning(
        "%s: no unqueried arch found after %d tries; stopping at %d of %d queries",
        name,
        _TRIES,
        len(run.archs),
        run.budget,
    )


def random_search(space: Space, oracle: Oracle, budget: int, seed: int = 0) -> pd.DataFrame:
    """Random search: query ``budget`` distinct archs drawn uniformly from ``space``.

    The baseline every NAS method must beat: Li & Talwalkar, "Random Search and
    Reproducibility for Neural Architecture Search", UAI 2019.
    """
    rng = np.random.default_rng(seed)
    run = _Run(oracle, budget)
    while run.left > 0:
        arch = run.fresh(lambda: space.sample(rng))
        if arch is None:
            _stop("random search", run)
            break
        run.query(arch, "random")
    return run.history()


def regularized_evolution(
    space: Space,
    oracle: Oracle,
    budget: int,
    seed: int = 0,
    population_size: int = 30,
    sample_size: int = 10,
) -> pd.DataFrame:
    """Regularized (aging) evolution.

    Real, Aggarwal, Huang & Le, "Regularized Evolution for Image Classifier
    Architecture Search", AAAI 2019. The population starts as
    ``population_size`` random archs; each step draws ``sample_size`` members
    uniformly (a tournament), mutates the best of them once, queries the child,
    adds it and removes the *oldest* member (not the worst: ageing regularises).
    A child already queried is re-drawn from the same parent (see the module
    docstring). Defaults as NASLib's NB201 experiments.
    """
    if population_size < 1 or not 1 <= sample_size <= population_size:
        raise InvalidInputError(
            f"need 1 <= sample_size ({sample_size}) <= population_size ({population_size})"
        )
    rng = np.random.default_rng(seed)
    run = _Run(oracle, budget)
    population: deque[tuple[Arch, float]] = deque()
    while len(population) < population_size and run.left > 0:
        arch = run.fresh(lambda: space.sample(rng))
        if arch is None:
            _stop("regularized evolution", run)
            return run.history()
        population.append((arch, run.query(arch, "random")))
    while run.left > 0:
        picks = rng.choice(len(population), size=min(sample_size, len(population)), replace=False)
        # ties go to the older member, which is the first in the deque
        parent = population[int(min(picks, key=lambda i: (-population[i][1], i)))][0]
        child = run.fresh(lambda parent=parent: space.mutate(parent, rng))
        if child is None:
            _stop("regularized evolution", run)
            break
        population.append((child, run.query(child, "mutation")))
        population.popleft()
    return run.history()


#: Acquisition functions of :func:`predictor_guided_search`.
ACQUISITIONS = ("auto", "its", "ucb", "mean")


def acquisition_scores(
    mean: np.ndarray,
    std: np.ndarray | None,
    acquisition: str,
    rng: np.random.Generator,
    ucb_beta: float = 1.0,
) -> np.ndarray:
    """Scores to rank candidates by (higher = query first).

    ``its``: independent Thompson sampling, one draw from ``N(mean, std)`` per
    candidate, which keeps a batch diverse (White et al., AAAI 2021); ``ucb``:
    ``mean + ucb_beta * std`` (Srinivas et al., ICML 2010); ``mean``: the
    prediction itself. ``its`` and ``ucb`` need ``std``.
    """
    mean = np.asarray(mean, dtype=float)
    if acquisition == "mean":
        return mean
    if std is None:
        raise InvalidInputError(f"acquisition {acquisition!r} needs a predictive std")
    std = np.asarray(std, dtype=float)
    if acquisition == "its":
        return rng.normal(mean, std)
    if acquisition == "ucb":
        return mean + ucb_beta * std
    raise InvalidInputError(
        f"unknown acquisition {acquisition!r}; known: {', '.join(ACQUISITIONS)}"
    )


def predictor_guided_search(
    space: Space,
    oracle: Oracle,
    budget: int,
    seed: int = 0,
    predictor: str = "xgb",
    encoding: str | None = None,
    predictor_kw: Mapping[str, Any] | None = None,
    acquisition: str = "auto",
    num_init: int = 10,
    batch_size: int = 10,
    num_candidates: int = 100,
    num_parents: int = 10,
    random_fraction: float = 0.2,
    max_edits: int = 1,
    ucb_beta: float = 1.0,
) -> pd.DataFrame:
    """A predictor-guided NAS loop in the style of BANANAS, with any registered predictor.

    White, Neiswanger & Savani, "BANANAS: Bayesian Optimization with Neural
    Architectures for Neural Architecture Search", AAAI 2021. After ``num_init``
    random archs, each iteration

    1. fits a fresh ``make_predictor(predictor, encoding=encoding, seed=...,
       **predictor_kw)`` on every arch queried so far (their stored proxy scores
       come from ``oracle.info`` when the predictor declares it needs them);
    2. proposes ``num_candidates`` unqueried archs: mutations (1 to ``max_edits``
       edits) of the ``num_parents`` best archs so far, plus a ``random_fraction``
       of uniform samples so that the loop can leave a basin;
    3. scores them with the acquisition function: ``auto`` is independent
       Thompson sampling (``its``) for a probabilistic predictor (via
       ``query_dist``) and the predicted mean otherwise; ``ucb`` and ``mean`` are
       the alternatives;
    4. queries the ``batch_size`` best-scored candidates.

    Defaults follow BANANAS on NB201 (10 initial archs, batches of 10, 100
    candidates by mutating the best archs).
    """
    from naspred.predictors import make_predictor

    if acquisition not in ACQUISITIONS:
        raise InvalidInputError(
            f"unknown acquisition {acquisition!r}; known: {', '.join(ACQUISITIONS)}"
        )
    # built once up front so that a bad name or hyper-parameter fails before any query
    probabilistic = bool(
        make_predictor(predictor, encoding=encoding, **dict(predictor_kw or {})).probabilistic
    )
    if acquisition == "auto":
        acquisition = "its" if probabilistic else "mean"
    elif acquisition != "mean" and not probabilistic:
        raise InvalidInputError(
            f"acquisition {acquisition!r} needs a probabilistic predictor; {predictor!r} "
            "returns no std (use acquisition='mean')"
        )
    if num_init < 2:
        raise InvalidInputError(
            f"num_init must be >= 2 (a predictor needs two archs), got {num_init}"
        )
    if batch_size < 1 or num_candidates < batch_size or num_parents < 1 or max_edits < 1:
        raise InvalidInputError(
            "need batch_size >= 1, num_candidates >= batch_size, num_parents >= 1, max_edits >= 1"
        )
    if not 0.0 <= random_fraction <= 1.0:
        raise InvalidInputError(f"random_fraction must be in [0, 1], got {random_fraction}")

    rng = np.random.default_rng(seed)
    run = _Run(oracle, budget)
    while len(run.archs) < num_init and run.left > 0:
        arch = run.fresh(lambda: space.sample(rng))
        if arch is None:
            _stop("predictor-guided search", run)
            return run.history()
        run.query(arch, "random")

    info_of = getattr(oracle, "info", None)
    n_random = int(round(random_fraction * num_candidates))
    while run.left > 0:
        model = make_predictor(
            predictor,
            encoding=encoding,
            seed=int(rng.integers(2**31 - 1)),
            **dict(predictor_kw or {}),
        )
        keys = model.needs.info_keys()
        if keys and info_of is None:
            raise InvalidInputError(
                f"predictor {predictor!r} needs {list(keys)}; the oracle must offer "
                "info(archs, needs), as BenchmarkOracle does"
            )

        def side(archs: list[Arch], model: Any = model, keys: tuple = keys) -> Any:
            return info_of(archs, model.needs) if keys else None

        model.fit(run.archs, np.asarray(run.accuracies), info=side(run.archs))

        order = np.argsort(-np.asarray(run.accuracies), kind="stable")
        parents = [run.archs[i] for i in order[:num_parents]]
        candidates: list[Arch] = []
        taken: set[Arch] = set()

        def mutant(i: int, parents: list[Arch] = parents) -> Arch:
            arch = parents[i % len(parents)]
            for _ in range(int(rng.integers(1, max_edits + 1))):
                arch = space.mutate(arch, rng)
            return arch

        for i in range(num_candidates - n_random):
            arch = run.fresh(lambda i=i: mutant(i), exclude=taken)
            if arch is not None:
                candidates.append(arch)
                taken.add(arch)
        while len(candidates) < num_candidates:
            arch = run.fresh(lambda: space.sample(rng), exclude=taken)
            if arch is None:
                break
            candidates.append(arch)
            taken.add(arch)
        if not candidates:
            _stop("predictor-guided search", run)
            break

        info = side(candidates)
        if acquisition == "mean":
            mean, std = model.query(candidates, info=info), None
        else:
            mean, std = model.query_dist(candidates, info=info)
        scores = acquisition_scores(mean, std, acquisition, rng, ucb_beta)
        # a NaN score (e.g. a proxy missing for an arch) ranks last, not first
        scores = np.where(np.isfinite(scores), scores, -np.inf)
        for i in np.argsort(-scores, kind="stable")[: min(batch_size, run.left)]:
            run.query(candidates[int(i)], "predictor")
    return run.history()
