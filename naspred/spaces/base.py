"""The contract every search space follows.

A space owns its architectures: an immutable, hashable ``Arch`` value type with
conversion to and from the benchmark keys, a canonical form for isomorphism
checks, and a labelled-DAG view; plus seeded sampling, mutation, neighbourhoods
and a PyTorch network builder.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from naspred.errors import ArchKeyError, InvalidInputError, WrongTypeError

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
    # the most nodes a DAG of this space has (0: every DAG of the space has as many as
    # this one): fixed-width encodings fitted on a few small cells still fit larger ones
    max_nodes: int = 0

    def __post_init__(self) -> None:
        n = len(self.ops)
        if self.adjacency.shape != (n, n):
            raise InvalidInputError(f"adjacency {self.adjacency.shape} does not match {n} ops")
        if np.any(np.tril(self.adjacency)):
            raise InvalidInputError(
                "adjacency must be strictly upper triangular (topological order)"
            )
        if self.max_nodes and self.max_nodes < n:
            raise InvalidInputError(f"a DAG of {n} nodes, more than its max_nodes={self.max_nodes}")

    @property
    def n_nodes(self) -> int:
        """Number of nodes, ``input`` and ``output`` included."""
        return len(self.ops)


class Arch(ABC):
    """An architecture of one search space: immutable, hashable, comparable.

    Subclasses are frozen dataclasses; equality is equality of the stored
    description (not isomorphism: compare ``canonical()`` for that). A subclass
    parses its Suite-Zero key in :meth:`_parse_key` and the space's own spellings
    in :meth:`_from_native`; :meth:`from_key` is the one entry point to both.
    """

    space: ClassVar[str]
    #: The Suite-Zero key layout, for error messages.
    key_format: ClassVar[str] = ""
    #: The space's own spellings :meth:`from_key` also reads, for error messages.
    native_forms: ClassVar[str] = ""

    @classmethod
    def from_key(cls, key: Any) -> Arch:
        """The arch that ``key`` describes, in any form a user may hold.

        Args:
            key: an arch of this type (returned as is), its benchmark (Suite-Zero)
                key, or one of the space's native forms (:attr:`native_forms`: the
                NB201 arch string, an NB101 ``(matrix, ops)`` spec, a DARTS
                ``Genotype``, ...).

        Raises:
            WrongTypeError: ``key`` is an arch of another space.
            ArchKeyError: ``key`` is none of the accepted forms; the message names it
                and the forms.
        """
        if isinstance(key, cls):
            return key
        if isinstance(key, Arch):
            raise WrongTypeError(
                f"{key!r} is an arch of space {key.space!r}, not {cls.space!r}; "
                f"give a {cls.__name__} or a key of {cls.space!r}"
            )
        if isinstance(key, str):
            try:
                return cls._parse_key(key)
            except ArchKeyError as err:
                native = cls._from_native(key)
                if native is not None:
                    return native
                if not cls.native_forms:
                    raise
                raise ArchKeyError(f"{err}; or give {cls.native_forms}") from None
        native = cls._from_native(key)
        if native is None:
            shown = repr(key)
            shown = shown if len(shown) <= 120 else shown[:117] + "..."
            raise ArchKeyError(
                f"cannot read {type(key).__name__} {shown} as an arch of {cls.space!r}; "
                f"give a {cls.__name__}, its Suite-Zero key ({cls.key_format})"
                + (f" or {cls.native_forms}" if cls.native_forms else "")
            )
        return native

    @classmethod
    @abstractmethod
    def _parse_key(cls, key: str) -> Arch:
        """Parse the benchmark (Suite-Zero) key; raise :class:`ArchKeyError` if invalid."""

    @classmethod
    def _from_native(cls, value: Any) -> Arch | None:
        """The arch ``value`` spells in one of the space's native forms; None when
        ``value`` is of none of their shapes, :class:`ArchKeyError` when it has one's
        shape but is no valid arch (so that the message is that form's)."""
        return None

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

    @classmethod
    def record_key(cls, key: str, dataset: str, *, to_file: bool = False) -> str:
        """A Suite-Zero record file's key of an arch on ``dataset`` as naspred's key
        (or, ``to_file``, back): the same string, except where a source's keys mean
        other cells on some datasets (TransNAS micro on NAS-Bench-360). The one place
        record files and naspred's keys are translated, on reading and on writing."""
        return key

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

    def from_key(self, key: Any) -> Arch:
        """This space's arch for ``key``, in any form :meth:`Arch.from_key` reads.

        Args:
            key: an arch of this space, its benchmark (Suite-Zero) key, or a native
                form of the space (the NB201 arch string, an NB101 ``(matrix, ops)``
                spec, a DARTS ``Genotype``, ...).

        Raises:
            WrongTypeError: ``key`` is an arch of another space.
            ArchKeyError: ``key`` is none of the forms; the message names them.
        """
        return self.arch_type.from_key(key)
