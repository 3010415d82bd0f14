"""NAS-Bench-Graph: the graph-neural-network macro space.

Qin et al., "NAS-Bench-Graph: Benchmarking Graph Neural Architecture Search",
NeurIPS 2022 Datasets and Benchmarks. An architecture is a DAG of four
computing nodes, each with exactly one input (``link[i]``: 0 is the raw input,
``k`` the k-th computing node) and one GNN operation; every leaf feeds the
output. The benchmark stores one record per isomorphism class, keyed by the
``valid_hash`` of the ``nas-bench-graph`` package, whose canonicalisation we use
so that our keys agree with its tables.

Per-dataset settings (:data:`DATASETS`) follow the paper's fixed
hyper-parameters; the input/hidden/output widths and layer counts are the ones
that reproduce the benchmark's stored parameter counts (``para``) exactly.
"""

from __future__ import annotations

import ast
import itertools
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from naspred.errors import ArchKeyError, InvalidInputError, UnknownNameError, WrongTypeError
from naspred.spaces.base import Arch, LabelledDAG, SearchSpace

#: The nine link patterns of the benchmark (canonical macro DAGs).
LINKS: tuple[tuple[int, ...], ...] = (
    (0, 0, 0, 0),
    (0, 0, 0, 1),
    (0, 0, 1, 1),
    (0, 0, 1, 2),
    (0, 0, 1, 3),
    (0, 1, 1, 1),
    (0, 1, 1, 2),
    (0, 1, 2, 2),
    (0, 1, 2, 3),
)
#: GNN operations, in the package's index order (its hash depends on it).
OPS: tuple[str, ...] = ("gat", "gcn", "gin", "cheb", "sage", "arma", "graph", "fc", "skip")
#: The reduced op set of the ``proteins`` dataset.
OPS_PROTEINS: tuple[str, ...] = ("gcn", "sage", "arma", "fc", "skip")


_KEY_FORMAT = "a (link, ops) tuple like \"((0, 0, 1, 2), ('gcn', 'gin', 'fc', 'cheb'))\""


@dataclass(frozen=True)
class NasBenchGraphArch(Arch):
    """``link``: the input node of each of the 4 computing nodes; ``ops``: their ops."""

    link: tuple[int, ...]
    ops: tuple[str, ...]
    space: ClassVar[str] = "nasbench_graph"
    key_format: ClassVar[str] = _KEY_FORMAT
    native_forms: ClassVar[str] = (
        "a (link, ops) pair or the nas_bench_graph package's Arch(link, ops)"
    )

    def __post_init__(self) -> None:
        # lists would make the frozen dataclass unhashable; store tuples
        object.__setattr__(self, "link", tuple(self.link))
        object.__setattr__(self, "ops", tuple(self.ops))
        if len(self.link) != 4 or len(self.ops) != 4:
            raise ArchKeyError(f"NAS-Bench-Graph archs have 4 nodes, got {self}")
        if any(not 0 <= src <= i for i, src in enumerate(self.link)):
            raise ArchKeyError(f"link {self.link}: node i may only read from nodes 0..i")
        bad = [op for op in self.ops if op not in OPS]
        if bad:
            raise ArchKeyError(f"unknown NAS-Bench-Graph ops {bad}; known: {OPS}")

    @classmethod
    def _parse_key(cls, key: str) -> NasBenchGraphArch:
        """Parse a ``(link, ops)`` key, e.g. ``((0, 0, 1, 2), ('gcn', 'gin', 'fc', 'cheb'))``."""
        try:
            link, ops = ast.literal_eval(key)
            return cls(tuple(int(x) for x in link), tuple(str(o) for o in ops))
        except (ValueError, SyntaxError, TypeError) as err:
            raise ArchKeyError(f"bad NAS-Bench-Graph key {key!r}; expected {_KEY_FORMAT}") from err

    @classmethod
    def _from_native(cls, value: object) -> NasBenchGraphArch | None:
        if isinstance(value, (tuple, list)) and len(value) == 2:
            link, ops = value
        elif hasattr(value, "link") and hasattr(value, "ops"):
            link, ops = value.link, value.ops  # type: ignore[attr-defined]
        else:
            return None
        try:
            return cls(tuple(int(x) for x in link), tuple(str(o) for o in ops))
        except (ValueError, TypeError) as err:
            raise ArchKeyError(
                f"bad NAS-Bench-Graph (link, ops) {value!r}; expected {_KEY_FORMAT}"
            ) from err

    def to_key(self) -> str:
        """The key ``str((link, ops))``, the inverse of :meth:`from_key`."""
        return str((self.link, self.ops))

    def bench_hash(self) -> int:
        """The record key of this arch's isomorphism class in the benchmark tables."""
        from nas_bench_graph import Arch as PackageArch

        return PackageArch(list(self.link), list(self.ops)).valid_hash()

    def canonical(self) -> NasBenchGraphArch:
        """The benchmark's own representative of this arch's isomorphism class (the arch
        with the same :meth:`bench_hash`); needs the ``nas-bench-graph`` package."""
        return _representatives()[self.bench_hash()]

    def to_dag(self) -> LabelledDAG:
        """Nodes: the input, the four computing nodes labelled by their ops, the output;
        every leaf (a computing node no other node reads) feeds the output."""
        adj = np.zeros((6, 6), dtype=np.int8)
        for i, src in enumerate(self.link):
            adj[src, i + 1] = 1
        has_child = {src for src in self.link}
        for i in range(1, 5):
            if i not in has_child:
                adj[i, 5] = 1
        return LabelledDAG(adj, ("input", *self.ops, "output"), ("input", *OPS, "output"))


@lru_cache(maxsize=1)
def _representatives() -> dict[int, NasBenchGraphArch]:
    """Map each bench hash to the one arch of its class that the benchmark enumerates."""
    from nas_bench_graph import Arch as PackageArch

    reps: dict[int, NasBenchGraphArch] = {}
    for link in LINKS:
        for ops in itertools.product(OPS, repeat=4):
            if all(op == "skip" for op in ops):
                continue
            # check_isomorph() is True only for the benchmark's own representative
            if PackageArch(list(link), list(ops)).check_isomorph():
                arch = NasBenchGraphArch(link, ops)
                reps[arch.bench_hash()] = arch
    return reps


def archs_by_hash() -> dict[int, NasBenchGraphArch]:
    """All 26,206 benchmark architectures, keyed by the benchmark's record hash."""
    return dict(_representatives())


# ---------------------------------------------------------------------------
# Per-dataset settings
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GraphDatasetConfig:
    """The fixed, per-dataset part of a NAS-Bench-Graph network.

    ``num_features``/``num_classes``: node-feature width and number of outputs.
    ``hidden_dim``: width of every GNN op. ``num_pre``/``num_post``: linear
    layers before/after the searched cell. ``dropout``: applied to the raw
    features and before every op that reads a hidden state. ``ops``: the op
    vocabulary the benchmark trained on this dataset. ``normalize``: GCN
    normalisation and GAT self-loops (off for ogbn-proteins, as in the
    authors' code).
    """

    num_features: int
    num_classes: int
    hidden_dim: int
    num_pre: int
    num_post: int
    dropout: float
    ops: tuple[str, ...] = OPS
    normalize: bool = True


#: The nine benchmark datasets. Feature/class counts are those of the public
#: datasets as torch-geometric / OGB ship them (Planetoid Cora, CiteSeer,
#: PubMed; Coauthor CS, Physics; Amazon Photo, Computers; ogbn-arxiv; for
#: ogbn-proteins the 8 edge-feature channels aggregated onto nodes, 112 binary
#: tasks). ``hidden_dim``, ``num_pre`` and ``num_post`` are those that reproduce
#: the benchmark's stored ``para`` exactly (checked over all 26,206 archs; see
#: tests/test_space_nasbench_graph.py). They agree with the paper's
#: hyper-parameter table except for photo (stored params need 0 pre-process
#: layers) and physics (0 post-process layers). ``dropout`` is the paper's.
DATASETS: dict[str, GraphDatasetConfig] = {
    "cora": GraphDatasetConfig(1433, 7, 256, 0, 1, 0.7),
    "citeseer": GraphDatasetConfig(3703, 6, 256, 0, 1, 0.7),
    "pubmed": GraphDatasetConfig(500, 3, 128, 0, 0, 0.3),
    "cs": GraphDatasetConfig(6805, 15, 128, 1, 0, 0.6),
    "physics": GraphDatasetConfig(8415, 5, 256, 1, 0, 0.4),
    "photo": GraphDatasetConfig(745, 8, 128, 0, 0, 0.7),
    "computers": GraphDatasetConfig(767, 10, 64, 1, 1, 0.1),
    "arxiv": GraphDatasetConfig(128, 40, 128, 0, 1, 0.2),
    "proteins": GraphDatasetConfig(8, 112, 256, 1, 1, 0.0, OPS_PROTEINS, normalize=False),
}


def dataset_config(dataset: str) -> GraphDatasetConfig:
    """The settings of one of the nine benchmark datasets (lower-case name)."""
    try:
        return DATASETS[dataset]
    except KeyError:
        raise UnknownNameError(
            f"unknown NAS-Bench-Graph dataset {dataset!r}; known: {', '.join(DATASETS)}"
        ) from None


# ---------------------------------------------------------------------------
# The network
# ---------------------------------------------------------------------------


class _Linear(nn.Linear):
    """``fc``: a node-wise linear layer with the GNN-op call signature."""

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor | None = None) -> torch.Tensor:
        return super().forward(x)


class _Skip(nn.Module):
    """``skip``: identity, with the GNN-op call signature."""

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor | None = None) -> torch.Tensor:
        return x


def _make_op(op: str, in_dim: int, out_dim: int, normalize: bool) -> nn.Module:
    """One GNN operation mapping ``in_dim`` to ``out_dim`` node features."""
    from torch_geometric import nn as gnn

    if op == "gat":
        # two heads, concatenated, so the output width is out_dim
        return gnn.GATConv(in_dim, out_dim // 2, heads=2, concat=True, add_self_loops=normalize)
    if op == "gcn":
        return gnn.GCNConv(in_dim, out_dim, normalize=normalize, add_self_loops=normalize)
    if op == "gin":
        return gnn.GINConv(nn.Linear(in_dim, out_dim))
    if op == "cheb":
        return gnn.ChebConv(in_dim, out_dim, K=2)
    if op == "sage":
        return gnn.SAGEConv(in_dim, out_dim)
    if op == "arma":
        return gnn.ARMAConv(in_dim, out_dim)
    if op == "graph":  # k-GNN (Morris et al.)
        return gnn.GraphConv(in_dim, out_dim)
    if op == "fc":
        return _Linear(in_dim, out_dim)
    if op == "skip":
        return _Skip()
    raise InvalidInputError(f"unknown NAS-Bench-Graph op {op!r}; known: {OPS}")


class NasBenchGraphNet(nn.Module):
    """The NAS-Bench-Graph node-classification GNN for one arch and dataset.

    Qin et al., NeurIPS 2022. Dropout on the input features; ``num_pre``
    linear layers; the searched cell, where computing node ``i`` applies
    BatchNorm -> ReLU -> dropout to its input state and then its op (the raw
    features, and skips of them, feed ops directly, un-normalised); the leaves
    are concatenated, passed through ReLU and a linear layer; then
    ``num_post`` linear layers. Consecutive pre/post linear layers have ELU
    between them. ``forward(x, edge_index)`` returns per-node logits.

    Every computing node owns a BatchNorm, also the ones that read the raw
    features and so never use it: the authors' networks do, and the
    benchmark's parameter counts include them (those parameters get no
    gradient). The same holds for the hidden-to-hidden ``weight`` that PyG's
    one-layer ``ARMAConv`` allocates but does not use.
    """

    def __init__(self, arch: NasBenchGraphArch, config: GraphDatasetConfig) -> None:
        super().__init__()
        self.arch = arch
        self.config = config
        dim = config.hidden_dim
        self.pre = nn.ModuleList(
            nn.Linear(config.num_features if i == 0 else dim, dim) for i in range(config.num_pre)
        )
        # state 0 has the raw width when there is no pre-processing; a skip of
        # a raw-width state is raw-width too
        self._raw = [config.num_pre == 0]
        for src, op in zip(arch.link, arch.ops, strict=True):
            self._raw.append(self._raw[src] and op == "skip")
        width = [config.num_features if raw else dim for raw in self._raw]
        self.ops = nn.ModuleList(
            _make_op(op, width[src], dim, config.normalize)
            for src, op in zip(arch.link, arch.ops, strict=True)
        )
        self.norms = nn.ModuleList(nn.BatchNorm1d(dim) for _ in arch.ops)
        self._leaves = [i for i in range(1, 5) if i not in arch.link]
        cell_out = dim if config.num_post else config.num_classes
        self.cell_fc = nn.Linear(sum(width[i] for i in self._leaves), cell_out)
        self.post = nn.ModuleList(
            nn.Linear(dim, config.num_classes if i == config.num_post - 1 else dim)
            for i in range(config.num_post)
        )

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        """Per-node logits of one graph.

        Args:
            x: Node features, ``(num_nodes, num_features)``.
            edge_index: Edges in PyG's COO format, ``(2, num_edges)``.

        Returns:
            ``(num_nodes, num_classes)`` logits.
        """
        p = self.config.dropout
        x = F.dropout(x, p=p, training=self.training)
        for i, layer in enumerate(self.pre):
            x = layer(x)
            if i < len(self.pre) - 1:
                x = F.elu(x)
        states = [x]
        for src, op, norm in zip(self.arch.link, self.ops, self.norms, strict=True):
            h = states[src]
            if not self._raw[src]:
                h = F.dropout(F.relu(norm(h)), p=p, training=self.training)
            states.append(op(h, edge_index))
        x = self.cell_fc(F.relu(torch.cat([states[i] for i in self._leaves], dim=1)))
        for i, layer in enumerate(self.post):
            x = layer(x)
            if i < len(self.post) - 1:
                x = F.elu(x)
        return x


# ---------------------------------------------------------------------------
# The search space
# ---------------------------------------------------------------------------


@cache
def _sorted_archs(ops: tuple[str, ...]) -> tuple[NasBenchGraphArch, ...]:
    """Benchmark archs whose ops all lie in ``ops``, in bench-hash order."""
    allowed = set(ops)
    reps = _representatives()
    return tuple(reps[h] for h in sorted(reps) if allowed.issuperset(reps[h].ops))


class NasBenchGraphSpace(SearchSpace):
    """NAS-Bench-Graph (Qin et al., NeurIPS 2022): 26,206 GNN macro architectures.

    Architectures are the benchmark's own representatives, one per
    isomorphism class (:func:`archs_by_hash`); ``sample`` is uniform over them,
    and ``neighbours`` maps every one-edit change to its representative.

    The ``proteins`` dataset was only trained with ops gcn/sage/arma/fc/skip
    (2,021 archs). Pass ``dataset="proteins"`` to the constructor (the default
    for every call) or to ``all_archs``/``sample``/``neighbours``/``mutate`` to
    stay inside that sub-space; any other dataset, or ``None``, means all
    nine ops.
    """

    name: ClassVar[str] = "nasbench_graph"
    arch_type: ClassVar[type[Arch]] = NasBenchGraphArch
    op_names: ClassVar[tuple[str, ...]] = OPS

    def __init__(self, dataset: str | None = None) -> None:
        if dataset is not None:
            dataset_config(dataset)  # fail early on a typo
        self.dataset = dataset

    def _ops(self, dataset: str | None) -> tuple[str, ...]:
        dataset = dataset if dataset is not None else self.dataset
        return OPS if dataset is None else dataset_config(dataset).ops

    def all_archs(self, dataset: str | None = None) -> list[Arch]:
        """Every benchmark arch (of ``dataset``'s op set), in bench-hash order."""
        return list(_sorted_archs(self._ops(dataset)))

    def sample(self, rng: np.random.Generator, dataset: str | None = None) -> Arch:
        """A benchmark arch drawn uniformly (over isomorphism classes)."""
        archs = _sorted_archs(self._ops(dataset))
        return archs[int(rng.integers(len(archs)))]

    def neighbours(self, arch: Arch, dataset: str | None = None) -> list[Arch]:
        """Representatives of all archs one op or one link entry away.

        Edits whose result is isomorphic to ``arch``, or that have no benchmark
        record (all four ops skip), are left out; each class appears once.
        """
        if not isinstance(arch, NasBenchGraphArch):
            raise WrongTypeError(f"expected a NasBenchGraphArch, got {type(arch).__name__}")
        ops = self._ops(dataset)
        reps = _representatives()
        own = arch.bench_hash()
        seen = {own}
        out: list[Arch] = []
        candidates: list[NasBenchGraphArch] = []
        for i in range(4):
            for op in ops:
                if op != arch.ops[i]:
                    new_ops = arch.ops[:i] + (op,) + arch.ops[i + 1 :]
                    candidates.append(NasBenchGraphArch(arch.link, new_ops))
        for i in range(1, 4):
            for src in range(i + 1):
                if src != arch.link[i]:
                    new_link = arch.link[:i] + (src,) + arch.link[i + 1 :]
                    candidates.append(NasBenchGraphArch(new_link, arch.ops))
        for cand in candidates:
            if all(op == "skip" for op in cand.ops):
                continue
            h = cand.bench_hash()
            if h not in seen and h in reps:
                seen.add(h)
                out.append(reps[h])
        return out

    def mutate(self, arch: Arch, rng: np.random.Generator, dataset: str | None = None) -> Arch:
        """A uniformly chosen neighbour (see :meth:`neighbours`)."""
        options = self.neighbours(arch, dataset)
        return options[int(rng.integers(len(options)))]

    def input_shape(self, dataset: str) -> tuple[int, ...]:
        """Shape of one node's feature vector on ``dataset``."""
        return (dataset_config(dataset).num_features,)

    def num_classes(self, dataset: str) -> int:
        """Width of the network's per-node output on ``dataset``."""
        return dataset_config(dataset).num_classes

    def build_network(self, arch: Arch, dataset: str) -> nn.Module:
        """The benchmark's GNN for ``arch`` on ``dataset``, freshly initialised.

        The arch is built as given; the benchmark's record for it is that of
        ``arch.canonical()`` (the same network up to the order of leaves, except
        that the benchmark's canonicalisation drops a skip-of-input leaf).
        """
        if not isinstance(arch, NasBenchGraphArch):
            raise WrongTypeError(f"expected a NasBenchGraphArch, got {type(arch).__name__}")
        config = dataset_config(dataset)
        bad = sorted(set(arch.ops) - set(config.ops))
        if bad:
            raise InvalidInputError(
                f"ops {bad} were not trained on {dataset!r}; its ops are {config.ops}"
            )
        return NasBenchGraphNet(arch, config)
