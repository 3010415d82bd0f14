"""Path encoding and truncated path encoding.

White, Neiswanger & Savani, "BANANAS: Bayesian Optimization with Neural
Architectures for Neural Architecture Search", AAAI 2021.

A path is a route from the ``input`` node to the ``output`` node; its label is
the sequence of ops on the nodes it passes (terminals excluded). The encoding
counts how many paths carry each possible label. Labels are ordered by length,
then lexicographically by vocabulary position, so truncating to the first
``max_paths`` features keeps the shortest paths -- the ones that occur most often
in random architectures, which is BANANAS's truncation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from naspred.encodings.base import (
    Encoder,
    as_dags,
    interior,
    op_index,
    register_encoding,
    vocabulary,
)
from naspred.errors import InvalidInputError
from naspred.spaces.base import Arch, LabelledDAG

#: Widths beyond this need ``max_paths`` (the full encoding would not fit in memory).
_MAX_WIDTH = 1_000_000


def path_labels(dag: LabelledDAG, zero_ops: Sequence[str] = ()) -> Counter[tuple[str, ...]]:
    """Count the input->output paths of ``dag`` by their op sequence.

    Paths through a node labelled with one of ``zero_ops`` (e.g. NB201's
    ``"none"``, which outputs zeros) are not counted when given.
    """
    n = dag.n_nodes
    adj = np.asarray(dag.adjacency)
    skip = set(zero_ops)
    # paths[j]: label sequences of the routes input -> j (nodes are topologically ordered)
    paths: list[Counter[tuple[str, ...]]] = [Counter() for _ in range(n)]
    paths[0][()] = 1
    for j in range(1, n):
        op = dag.ops[j]
        if op in skip:
            continue
        last = j == n - 1
        for i in np.flatnonzero(adj[:j, j]):
            for seq, count in paths[i].items():
                paths[j][seq if last else seq + (op,)] += count
    return paths[n - 1]


def _offsets(k: int, max_len: int) -> list[int]:
    """Start index of the block of length-``L`` labels, for L = 0..max_len+1."""
    offsets = [0]
    for length in range(max_len + 1):
        offsets.append(offsets[-1] + k**length)
    return offsets


@register_encoding("path")
class PathEncoder(Encoder):
    """Path encoding (White et al., BANANAS, AAAI 2021): one count per possible
    op sequence of an input->output path, up to ``max_length`` ops (default: the
    longest path seen in ``fit``). ``max_paths`` truncates to the first (shortest)
    labels, BANANAS's truncated path encoding. ``zero_ops`` drops paths through
    ops that output zeros. Width ``min(max_paths, sum_L k**L)`` for ``k`` ops.
    """

    def __init__(
        self,
        max_paths: int | None = None,
        max_length: int | None = None,
        zero_ops: Sequence[str] = (),
        op_names: Sequence[str] | None = None,
    ) -> None:
        self.max_paths = max_paths
        self.max_length = max_length
        self.zero_ops = zero_ops
        self.op_names = op_names

    def fit(self, archs: Iterable[Arch | LabelledDAG]) -> PathEncoder:
        """Learn the op vocabulary, the longest path (unless ``max_length`` is given) and
        the width from ``archs``; returns ``self``.

        Raises:
            InvalidInputError: If ``archs`` is empty, or the full encoding would be wider
                than 1,000,000 features and ``max_paths`` is not set.
        """
        dags = as_dags(archs)
        if not dags:
            raise InvalidInputError("cannot fit an encoder on zero architectures")
        self.ops_ = interior(vocabulary(dags, self.op_names))
        if self.max_length is not None:
            self.max_length_ = int(self.max_length)
        else:
            lengths = [len(s) for d in dags for s in path_labels(d, self.zero_ops)]
            self.max_length_ = max(lengths, default=0)
        k = len(self.ops_)
        self.offsets_ = _offsets(k, self.max_length_)
        full = self.offsets_[-1]
        width = full if self.max_paths is None else min(int(self.max_paths), full)
        if width > _MAX_WIDTH:
            raise InvalidInputError(
                f"the full path encoding has {full} features ({k} ops, paths up to "
                f"{self.max_length_} ops); pass max_paths= (truncated path encoding)"
            )
        self.width_ = width
        self.feature_names_ = [self._label(i) for i in range(width)]
        return self

    def _label(self, index: int) -> str:
        k = len(self.ops_)
        length = max(L for L in range(len(self.offsets_) - 1) if self.offsets_[L] <= index)
        rest, seq = index - self.offsets_[length], []
        for _ in range(length):
            rest, digit = divmod(rest, k)
            seq.append(self.ops_[digit])
        return "path:" + ">".join(reversed(seq))

    def index_of(self, seq: Sequence[str]) -> int:
        """Feature index of an op sequence (may exceed the width if truncated)."""
        index = op_index(self.ops_)
        k, value = len(self.ops_), 0
        for op in seq:
            value = value * k + index(op)
        return self.offsets_[len(seq)] + value

    def transform(self, archs: Iterable[Arch | LabelledDAG]) -> np.ndarray:
        """Encode ``archs``: an ``(n, width)`` array of path counts by label. Paths longer
        than ``max_length_`` or cut by the truncation are not counted."""
        width = self._fitted("width_")
        dags = as_dags(archs)
        out = np.zeros((len(dags), width))
        for row, dag in enumerate(dags):
            for seq, count in path_labels(dag, self.zero_ops).items():
                # paths longer than any seen in fit, or cut by truncation, have no column
                if len(seq) > self.max_length_:
                    continue
                col = self.index_of(seq)
                if col < width:
                    out[row, col] += count
        return out
