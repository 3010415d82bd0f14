"""Simple graph features, as in GRAF.

Kadlecová, Lukasik, Pilát, Vidnerová, Safari, Neruda & Hutter, "Surprisingly
Strong Performance Prediction with Neural Graph Features", ICML 2024.

GRAF describes a cell by interpretable counts: how often each op occurs, and --
on the sub-graph that keeps only nodes whose op is in an *allowed* set -- the
shortest input->output path, the most allowed ops on any such path, the number
of such paths, and node degrees (input out-degree, output in-degree, mean and
max in/out degree). Computing the constrained features for many op sets lets a
tree model read, e.g., "the number of paths made of convolutions only".
"""

from __future__ import annotations

import itertools
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

#: Constrained features computed for each allowed op set.
SUBSET_FEATURES: tuple[str, ...] = (
    "n_paths",
    "min_path_len",
    "max_ops_on_path",
    "input_out_degree",
    "output_in_degree",
    "mean_in_degree",
    "mean_out_degree",
    "max_in_degree",
    "max_out_degree",
)


def subset_features(dag: LabelledDAG, allowed_sets: Sequence[Iterable[str]]) -> np.ndarray:
    """:data:`SUBSET_FEATURES` of ``dag`` for each allowed op set: ``(len(sets), 9)``.

    For a set, only nodes whose op is in it are kept (terminals always are).
    Path lengths count the ops on a path (terminals excluded); with no
    input->output path, ``n_paths`` is 0 and both lengths are 0. Degrees are over
    the kept nodes and edges; means and maxima are over the kept interior nodes
    (0 if there are none). All sets are computed at once, vectorised.
    """
    n = dag.n_nodes
    sets = [frozenset(a) for a in allowed_sets]
    member = {op: [op in a for a in sets] for op in set(dag.ops)}
    keep = np.array([member[op] for op in dag.ops], dtype=bool).T.copy()
    keep[:, [0, n - 1]] = True
    adj = np.asarray(dag.adjacency, dtype=bool)[None] & keep[:, :, None] & keep[:, None, :]
    # dynamic programming over the topological order: number of paths, and the
    # fewest / most ops on a route from the input to each node
    s = len(keep)
    count = np.zeros((s, n))
    shortest = np.full((s, n), np.inf)
    longest = np.full((s, n), -np.inf)
    count[:, 0], shortest[:, 0], longest[:, 0] = 1.0, 0.0, 0.0
    for j in range(1, n):
        edge = adj[:, :j, j] & (count[:, :j] > 0)
        step = 0.0 if j == n - 1 else 1.0
        count[:, j] = np.where(edge, count[:, :j], 0.0).sum(1)
        shortest[:, j] = np.where(edge, shortest[:, :j], np.inf).min(1) + step
        longest[:, j] = np.where(edge, longest[:, :j], -np.inf).max(1) + step
    has_path = count[:, n - 1] > 0
    inner = keep.copy()
    inner[:, [0, n - 1]] = False
    n_inner = inner.sum(1)
    in_deg = np.where(inner, adj.sum(1), 0)
    out_deg = np.where(inner, adj.sum(2), 0)
    safe = np.maximum(n_inner, 1)
    return np.column_stack(
        [
            count[:, n - 1],
            np.where(has_path, shortest[:, n - 1], 0.0),
            np.where(has_path, longest[:, n - 1], 0.0),
            adj[:, 0].sum(1),
            adj[:, :, n - 1].sum(1),
            in_deg.sum(1) / safe,
            out_deg.sum(1) / safe,
            in_deg.max(1),
            out_deg.max(1),
        ]
    ).astype(float)


def constrained_features(dag: LabelledDAG, allowed: Iterable[str]) -> dict[str, float]:
    """The :data:`SUBSET_FEATURES` of ``dag`` for one allowed op set, by name."""
    row = subset_features(dag, [tuple(allowed)])[0]
    return dict(zip(SUBSET_FEATURES, row.tolist(), strict=True))


def longest_path(dag: LabelledDAG) -> int:
    """Depth: the most edges on any path from the input to the output (0 if none)."""
    n = dag.n_nodes
    adj = np.asarray(dag.adjacency, dtype=bool)
    depth = np.full(n, -np.inf)
    depth[0] = 0
    for j in range(1, n):
        preds = np.flatnonzero(adj[:j, j])
        if preds.size:
            depth[j] = depth[preds].max() + 1
    return int(depth[n - 1]) if np.isfinite(depth[n - 1]) else 0


@register_encoding("graph_features")
class GraphFeatureEncoder(Encoder):
    """GRAF-style graph features (Kadlecová et al., ICML 2024).

    Columns: ``n_nodes``, ``n_edges``, ``depth`` (longest input->output path in
    edges), one count per op, then :data:`SUBSET_FEATURES` for each allowed op
    set. ``subsets="all"`` uses every non-empty subset of the ops (GRAF's choice
    for small vocabularies), ``"single"`` each op alone plus all ops together;
    the default ``"auto"`` picks ``"all"`` for at most ``max_all_ops`` ops.
    """

    def __init__(
        self,
        subsets: str = "auto",
        max_all_ops: int = 6,
        op_names: Sequence[str] | None = None,
    ) -> None:
        self.subsets = subsets
        self.max_all_ops = max_all_ops
        self.op_names = op_names

    def fit(self, archs: Iterable[Arch | LabelledDAG]) -> GraphFeatureEncoder:
        """Learn the op vocabulary and the allowed op sets (per ``subsets``) from ``archs``;
        returns ``self``.

        Raises:
            InvalidInputError: If ``archs`` is empty or ``subsets`` is not ``"auto"``,
                ``"all"`` or ``"single"``.
        """
        dags = as_dags(archs)
        if not dags:
            raise InvalidInputError("cannot fit an encoder on zero architectures")
        self.ops_ = interior(vocabulary(dags, self.op_names))
        mode = self.subsets
        if mode == "auto":
            mode = "all" if len(self.ops_) <= self.max_all_ops else "single"
        if mode == "all":
            sets = [
                c
                for r in range(1, len(self.ops_) + 1)
                for c in itertools.combinations(self.ops_, r)
            ]
        elif mode == "single":
            sets = [(op,) for op in self.ops_] + [tuple(self.ops_)]
        else:
            raise InvalidInputError(
                f"subsets must be 'auto', 'all' or 'single', got {self.subsets!r}"
            )
        self.allowed_sets_ = sets
        names = ["n_nodes", "n_edges", "depth"] + [f"count:{op}" for op in self.ops_]
        for allowed in sets:
            tag = "|".join(allowed)
            names += [f"{feat}[{tag}]" for feat in SUBSET_FEATURES]
        self.feature_names_ = names
        return self

    def transform(self, archs: Iterable[Arch | LabelledDAG]) -> np.ndarray:
        """Encode ``archs``: an ``(n, n_features)`` array of size, depth and op counts, then
        the :data:`SUBSET_FEATURES` of every allowed op set."""
        sets = self._fitted("allowed_sets_")
        index = op_index(self.ops_)
        dags = as_dags(archs)
        out = np.zeros((len(dags), self.n_features))
        for row, dag in enumerate(dags):
            counts = np.zeros(len(self.ops_))
            for op in dag.ops[1:-1]:
                counts[index(op)] += 1
            head = [dag.n_nodes, float(np.sum(dag.adjacency)), longest_path(dag), *counts]
            out[row] = np.concatenate([head, subset_features(dag, sets).ravel()])
        return out
