"""The contract every search space follows.

A space owns its architectures: an immutable, hashable ``Arch`` value type with
conversion to and from the benchmark keys, a canonical form for isomorphism
checks, and a labelled-DAG view; plus seeded sampling, mutation, neighbourhoods
and a PyTorch network builder.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from naspred.errors import InvalidInputError

if TYPE_CHECKING:  # torch only for the network builders' annotations: listing tasks needs none
    from torch import nn


@dataclass(frozen=True, eq=False)
class LabelledDAG:
    """Node-labelled DAG view of an architecture, the same shape for every space.

    ``adjacency[i, j] == 1`` means an edge from node ``i`` to node ``j``; nodes are
    topologically ordered, so the matrix is strictly upper triangular. ``ops[i]`` is
    the label of node ``i``; the first node is ``"input"`` and the last ``"output"``.
    Spaces whose ops sit on edges (NB201, DARTS, TransNAS micro) turn each edge
    into a node, as the BANANAS/NASLib encodings do, so encodings and graph
    predictors read one format.
    """

    adjacency: np.ndarray
    ops: tuple[str, ...]
    op_names: tuple[str, ...] = field(default=())  # the space's vocabulary, for one-hot

    def __post_init__(self) -> None:
        n = len(self.ops)
        if self.adjacency.shape != (n, n):
            raise InvalidInputError(f"adjacency {self.adjacency.shape} does not match {n} ops")
        if np.any(np.tril(self.adjacency)):
            raise InvalidInputError(
                "adjacency must be strictly upper triangular (topological order)"
            )

    @property
    def n_nodes(self) -> int:
        """Number of nodes, ``input`` and ``output`` included."""
        return len(self.ops)


class Arch(ABC):
    """An architecture of one search space: immutable, hashable, comparable.

    Subclasses are frozen dataclasses; equality is equality of the stored
    description (not isomorphism: compare ``canonical()`` for that).
    """

    space: ClassVar[str]

    @classmethod
    @abstractmethod
    def from_key(cls, key: str) -> Arch:
        """Parse the benchmark (Suite-Zero) key; raise :class:`ArchKeyError` if invalid."""

    @abstractmethod
    def to_key(self) -> str:
        """The benchmark (Suite-Zero) key, byte-identical to the files' keys."""

    @abstractmethod
    def canonical(self) -> Arch:
        """The representative of this arch's isomorphism class."""

    @abstractmethod
    def to_dag(self) -> LabelledDAG:
        """The labelled-DAG view read by encodings and graph predictors."""


class SearchSpace(ABC):
    """A search space: sampling, mutation, neighbourhoods and networks."""

    name: ClassVar[str]
    arch_type: ClassVar[type[Arch]]
    op_names: ClassVar[tuple[str, ...]]

    @abstractmethod
    def sample(self, rng: np.random.Generator) -> Arch:
        """One architecture drawn uniformly at random."""

    @abstractmethod
    def neighbours(self, arch: Arch) -> list[Arch]:
        """All valid architectures one edit away (each different from ``arch``)."""

    @abstractmethod
    def build_network(self, arch: Arch, dataset: str) -> nn.Module:
        """The benchmark's own network for ``arch`` on ``dataset`` (fresh init)."""

    def input_shape(self, dataset: str) -> tuple[int, ...]:
        """Shape of one input (no batch dim) for image spaces."""
        raise NotImplementedError(f"space {self.name!r} has no image input shape")

    def all_archs(self) -> list[Arch]:
        """Every architecture, for spaces small enough to enumerate."""
        raise NotImplementedError(f"space {self.name!r} is too large to enumerate; use sample()")

    def mutate(self, arch: Arch, rng: np.random.Generator) -> Arch:
        """A uniformly chosen single-edit neighbour."""
        options = self.neighbours(arch)
        return options[int(rng.integers(len(options)))]

    def sample_many(self, n: int, seed: int = 0) -> list[Arch]:
        """``n`` architectures drawn with :meth:`sample` from one seeded generator.

        Args:
            n: How many architectures to draw (duplicates are possible).
            seed: Seed of the ``numpy`` generator; the same seed gives the same list.
        """
        rng = np.random.default_rng(seed)
        return [self.sample(rng) for _ in range(n)]

    def from_key(self, key: str) -> Arch:
        """Parse a benchmark key into this space's arch type (see :meth:`Arch.from_key`).

        Raises:
            ArchKeyError: If ``key`` is not a valid key of this space.
        """
        return self.arch_type.from_key(key)
