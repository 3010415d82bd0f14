"""One-hot adjacency + ops encoding and the categorical encoding.

Ying et al., "NAS-Bench-101: Towards Reproducible Neural Architecture Search",
ICML 2019 (the adjacency-matrix + op-list encoding); White et al., "A Study on
Encodings for Neural Architecture Search", NeurIPS 2020 (one-hot vs categorical
adjacency encodings).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from naspred.encodings.base import Encoder, as_dags, op_index, register_encoding, vocabulary
from naspred.errors import InvalidInputError
from naspred.spaces.base import Arch, LabelledDAG


def padded_adjacency(dag: LabelledDAG, n: int) -> np.ndarray:
    """``dag``'s adjacency grown to ``n`` nodes, empty nodes inserted just before the
    output so that the output is always the last node (pruned NB101 cells)."""
    k = dag.n_nodes
    if k > n:
        raise InvalidInputError(f"DAG has {k} nodes but the encoder was fitted for at most {n}")
    out = np.zeros((n, n), dtype=np.float64)
    a = np.asarray(dag.adjacency, dtype=np.float64)
    out[: k - 1, : k - 1] = a[: k - 1, : k - 1]
    out[: k - 1, n - 1] = a[: k - 1, k - 1]
    return out


def padded_positions(dag: LabelledDAG, n: int) -> list[int]:
    """Position of each of ``dag``'s nodes in the padded layout."""
    k = dag.n_nodes
    return [*range(k - 1), n - 1]


class _PaddedEncoder(Encoder):
    def __init__(self, max_nodes: int | None = None, op_names: Sequence[str] | None = None):
        self.max_nodes = max_nodes
        self.op_names = op_names

    def fit(self, archs: Iterable[Arch | LabelledDAG]) -> _PaddedEncoder:
        dags = as_dags(archs)
        if not dags:
            raise InvalidInputError("cannot fit an encoder on zero architectures")
        self.vocab_ = vocabulary(dags, self.op_names)
        # the space's largest cell where the DAGs know it: pruned NB101 cells and TransNAS
        # macro skeletons vary in size, and a small training set may hold no largest one
        self.n_nodes_ = self.max_nodes or max(max(d.n_nodes, d.max_nodes) for d in dags)
        self.feature_names_ = self._names()
        return self

    def _names(self) -> list[str]:
        n = self.n_nodes_
        return [f"edge_{i}_{j}" for i in range(n) for j in range(i + 1, n)]


@register_encoding("adjacency")
class AdjacencyEncoder(_PaddedEncoder):
    """Flattened upper triangle of the adjacency matrix, then a one-hot op vector
    per node (Ying et al., ICML 2019; White et al., NeurIPS 2020).

    DAGs with fewer nodes than the largest seen in ``fit`` (or ``max_nodes``) are
    padded with empty nodes before the output node; padded nodes have all-zero
    one-hot rows. Width: ``n(n-1)/2 + n * len(vocab)``.
    """

    def _names(self) -> list[str]:
        ops = [f"node_{i}={op}" for i in range(self.n_nodes_) for op in self.vocab_]
        return super()._names() + ops

    def transform(self, archs: Iterable[Arch | LabelledDAG]) -> np.ndarray:
        """Encode ``archs``: an ``(n, n_features)`` array of the padded upper triangle then
        the one-hot op rows. A DAG with more nodes than fitted raises InvalidInputError."""
        n, vocab = self._fitted("n_nodes_"), self.vocab_
        index = op_index(vocab)
        dags = as_dags(archs)
        iu = np.triu_indices(n, k=1)
        out = np.zeros((len(dags), self.n_features))
        m = len(iu[0])
        for row, dag in enumerate(dags):
            out[row, :m] = padded_adjacency(dag, n)[iu]
            onehot = np.zeros((n, len(vocab)))
            for pos, op in zip(padded_positions(dag, n), dag.ops, strict=True):
                onehot[pos, index(op)] = 1.0
            out[row, m:] = onehot.ravel()
        return out


@register_encoding("categorical")
class CategoricalEncoder(_PaddedEncoder):
    """The op index of each node (its position in the vocabulary; -1 for padded
    nodes), then the flattened upper-triangular adjacency (White et al., NeurIPS
    2020, "categorical adjacency"). Width: ``n + n(n-1)/2``; suits tree models."""

    def _names(self) -> list[str]:
        return [f"op_{i}" for i in range(self.n_nodes_)] + super()._names()

    def transform(self, archs: Iterable[Arch | LabelledDAG]) -> np.ndarray:
        """Encode ``archs``: an ``(n, n_features)`` array of op indices (-1 when padded)
        then the padded upper triangle. A DAG with more nodes than fitted raises
        InvalidInputError."""
        n = self._fitted("n_nodes_")
        index = op_index(self.vocab_)
        dags = as_dags(archs)
        iu = np.triu_indices(n, k=1)
        out = np.zeros((len(dags), self.n_features))
        for row, dag in enumerate(dags):
            ops = np.full(n, -1.0)
            for pos, op in zip(padded_positions(dag, n), dag.ops, strict=True):
                ops[pos] = index(op)
            out[row, :n] = ops
            out[row, n:] = padded_adjacency(dag, n)[iu]
        return out
