"""The one place where studies pick archs at random, always from a seed.

* :func:`seeded_order`: all candidate rows in a seeded order; a prefix of it is a
  uniform sample, and a larger prefix contains a smaller one (the predictor study's
  nested training sets, the learning-curve benchmark that can grow).
* :func:`seeded_subset`: ``n`` rows without replacement, in one draw. It is a
  different draw from a prefix of :func:`seeded_order` for the same seed; it is
  kept for the callers whose committed tables were made with it (``compare``'s arch
  subset, ``proxies compute --n-archs``).
* :func:`distinct_archs`: ``n`` archs of a space, no two the same key, or no two the
  same network (isomorphism class).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from naspred.errors import InvalidInputError
from naspred.spaces.base import SearchSpace


def seeded_order(rows: np.ndarray | int, seed: int) -> np.ndarray:
    """``rows`` (or ``range(rows)``) in the order seed ``seed`` draws them."""
    return np.random.default_rng(seed).permutation(rows)


def seeded_subset(rows: np.ndarray | int, n: int, seed: int) -> np.ndarray:
    """``n`` of ``rows`` (or of ``range(rows)``) drawn without replacement by ``seed``,
    in draw order."""
    return np.random.default_rng(seed).choice(rows, size=n, replace=False)


def distinct_archs(
    space: SearchSpace, n: int, seed: int, distinct: Literal["key", "network"] = "network"
) -> list[str]:
    """``n`` keys of archs of ``space`` drawn uniformly by ``seed``.

    Archs come from a seeded order of all archs where the space can enumerate them,
    else from seeded ``sample`` calls. With ``distinct="network"`` one arch is kept per
    isomorphism class (``arch.canonical()``): the kept arch is the one drawn, not the
    class's representative, so classes are picked in proportion to their size, as
    uniform sampling from the benchmark would (for NAS-Bench-201 at most 6,466).

    Raises:
        InvalidInputError: ``n < 1``, or the space has fewer distinct archs.
    """
    if n < 1:
        raise InvalidInputError(f"the number of archs must be >= 1, got {n}")
    rng = np.random.default_rng(seed)
    try:
        pool = space.all_archs()
        candidates = (pool[i] for i in rng.permutation(len(pool)))
    except NotImplementedError:
        candidates = (space.sample(rng) for _ in range(100 * n))
    keys: list[str] = []
    seen: set[str] = set()
    for arch in candidates:
        tag = arch.canonical().to_key() if distinct == "network" else arch.to_key()
        if tag in seen:
            continue
        seen.add(tag)
        keys.append(arch.to_key())
        if len(keys) == n:
            return keys
    what = "networks" if distinct == "network" else "archs"
    raise InvalidInputError(
        f"only {len(keys)} distinct {space.name} {what} found, {n} asked; ask for fewer"
    )
