"""NAS-Bench-201: the 15,625-cell topology space.

Dong & Yang, "NAS-Bench-201: Extending the Scope of Reproducible Neural
Architecture Search", ICLR 2020.

A cell is a DAG over four nodes (node 1 the cell input, node 4 its output) with
an op on each of its six edges ``(1,2), (1,3), (1,4), (2,3), (2,4), (3,4)``; a
node sums its incoming edges. Ops (NAS-Bench-Suite-Zero index order):
0 ``skip_connect``, 1 ``none``, 2 ``nor_conv_3x3``, 3 ``nor_conv_1x1``,
4 ``avg_pool_3x3``. The network is the NB201 macro skeleton: a 3x3 conv stem,
three stages of ``N`` cells at ``C``, ``2C``, ``4C`` channels separated by
ResNet basic blocks of stride 2, then BN-ReLU, global average pooling and a
linear classifier.

Complexity convention of the stored ``params`` / ``flops`` records of
NAS-Bench-Suite-Zero, which :meth:`NasBench201Space.complexity` reproduces
exactly on all 491 records of each of cifar10 and cifar100:

* ``params``: all trainable parameters (conv weights, BN scales and shifts,
  classifier weight and bias) / 1e6 -- the same as NB201's own records.
* ``flops``: *not* NB201's own counter (which counts only conv and linear
  MACs), but torchstat's "Flops" (as tensorwatch's ``ModelStats``, which NASLib
  wraps, reports them) / 1e6, for one image: conv MACs (no conv has a bias);
  classifier weight MACs without its bias; every ``AvgPool2d`` at
  ``k*k`` per output element (3x3 in cells, 2x2 in the ResNet shortcut); each
  affine BatchNorm at 2 and each ReLU at 1 per element; and the global average
  pool at torchstat's ``(window_h + 1) * (window_w + 1)`` per output
  (off-by-one included: 81 per channel for an 8x8 map). Identity, ``none`` and
  the element-wise sums count nothing. A cell conv edge therefore costs its MACs
  plus 3 per output element.

Both depend only on the multiset of the six edge ops (every edge op maps ``C``
channels to ``C`` at the same resolution), so there are at most 210 distinct
values per dataset. :meth:`NasBench201Space.complexity` memoises by that
multiset and counts each (op, stage) module and the cell-less skeleton once;
tests check the result against counts of the whole built network.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

import numpy as np
import torch
from torch import nn

from naspred.errors import ArchKeyError, InvalidInputError, WrongTypeError
from naspred.spaces.base import Arch, LabelledDAG, SearchSpace
from naspred.spaces.complexity import count_flops, count_params
from naspred.spaces.pooling import ValidAvgPool2d

#: Edge ops in the Suite-Zero index order.
OPS: tuple[str, ...] = ("skip_connect", "none", "nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3")
#: Cell edges (source node, target node), nodes numbered 1..4, in key order.
EDGES: tuple[tuple[int, int], ...] = ((1, 2), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4))
#: dataset -> (number of classes, input shape without batch dim).
DATASETS: dict[str, tuple[int, tuple[int, int, int]]] = {
    "cifar10": (10, (3, 32, 32)),
    "cifar100": (100, (3, 32, 32)),
    "ImageNet16-120": (120, (3, 16, 16)),
    # NAS-Bench-360 (Tu et al., NeurIPS 2022 Datasets and Benchmarks), as
    # NAS-Bench-Suite-Zero runs NB201 on them: the class counts and input shapes are
    # those that reproduce its stored params and FLOPs on every record
    "svhn": (10, (3, 32, 32)),
    "scifar100": (100, (3, 60, 60)),  # spherical CIFAR-100, 60x60 projections
    "ninapro": (18, (1, 16, 52)),  # NinaPro DB5: 16 EMG channels x 52 time steps, one plane
}

_SKIP, _NONE = OPS.index("skip_connect"), OPS.index("none")
_KEY_RE = re.compile(r"\(([0-9]+), ([0-9]+), ([0-9]+), ([0-9]+), ([0-9]+), ([0-9]+)\)")
_KEY_FORMAT = '"(i0, i1, i2, i3, i4, i5)" with each i in 0..4, e.g. "(2, 0, 2, 3, 3, 2)"'
_NB201_FORMAT = "|op~0|+|op~0|op~1|+|op~0|op~1|op~2| with op one of " + ", ".join(OPS)


@dataclass(frozen=True)
class NasBench201Arch(Arch):
    """One NB201 cell: ``ops[e]`` is the op index on edge ``EDGES[e]``.

    Dong & Yang, "NAS-Bench-201: Extending the Scope of Reproducible Neural
    Architecture Search", ICLR 2020.
    """

    ops: tuple[int, ...]
    space: ClassVar[str] = "nasbench201"
    key_format: ClassVar[str] = _KEY_FORMAT
    native_forms: ClassVar[str] = f"an NB201/NATS arch string {_NB201_FORMAT}"

    def __post_init__(self) -> None:
        try:
            ops = tuple(int(o) for o in self.ops)
        except (TypeError, ValueError) as err:
            raise ArchKeyError(f"NB201 ops must be 6 integers in 0..4, got {self.ops!r}") from err
        if len(ops) != len(EDGES) or any(not 0 <= o < len(OPS) for o in ops):
            raise ArchKeyError(f"NB201 ops must be 6 integers in 0..4, got {self.ops!r}")
        # normalise numpy ints and lists so that equal cells hash equally
        object.__setattr__(self, "ops", ops)

    # ---- keys -----------------------------------------------------------------

    @classmethod
    def _parse_key(cls, key: str) -> NasBench201Arch:
        """Parse a Suite-Zero key such as ``"(2, 0, 2, 3, 3, 2)"``."""
        match = _KEY_RE.fullmatch(key) if isinstance(key, str) else None
        if match is None or any(int(g) >= len(OPS) for g in match.groups()):
            raise ArchKeyError(f"bad NAS-Bench-201 key {key!r}; expected {_KEY_FORMAT}")
        return cls(tuple(int(g) for g in match.groups()))

    def to_key(self) -> str:
        """NB201 key: the six op indices in :data:`EDGES` order, e.g. ``"(2, 0, 2, 3, 3, 2)"``."""
        return "(" + ", ".join(str(o) for o in self.ops) + ")"

    @classmethod
    def _from_native(cls, value: object) -> NasBench201Arch | None:
        # NB201 and NATS-Bench strings, and only they, start with "|"
        if isinstance(value, str) and value.startswith("|"):
            return cls.from_nb201_string(value)
        return None

    @classmethod
    def from_nb201_string(cls, text: str) -> NasBench201Arch:
        """Parse the original NB201 arch string
        ``|nor_conv_3x3~0|+|skip_connect~0|nor_conv_3x3~1|+|...|``: the group of
        node ``j`` lists ``op~(i-1)`` for each edge ``(i, j)``."""
        bad = ArchKeyError(f"bad NAS-Bench-201 arch string {text!r}; expected {_NB201_FORMAT}")
        if not isinstance(text, str):
            raise bad
        groups = text.split("+")
        if len(groups) != 3:
            raise bad
        by_edge: dict[tuple[int, int], int] = {}
        for target, group in enumerate(groups, start=2):
            if not (group.startswith("|") and group.endswith("|")) or len(group) < 2:
                raise bad
            items = group[1:-1].split("|")
            if len(items) != target - 1:
                raise bad
            for item in items:
                op, sep, src = item.partition("~")
                if not sep or op not in OPS or not src.isdigit():
                    raise bad
                edge = (int(src) + 1, target)
                if edge not in EDGES or edge in by_edge:
                    raise bad
                by_edge[edge] = OPS.index(op)
        return cls(tuple(by_edge[e] for e in EDGES))

    def to_nb201_string(self) -> str:
        """The original NB201 arch string (inverse of :meth:`from_nb201_string`)."""
        groups = []
        for target in (2, 3, 4):
            items = [
                f"{OPS[op]}~{src - 1}"
                for (src, dst), op in zip(EDGES, self.ops, strict=True)
                if dst == target
            ]
            groups.append("|" + "|".join(items) + "|")
        return "+".join(groups)

    # ---- isomorphism ------------------------------------------------------------

    def isomorphism_key(self, convention: str = "nb201") -> str:
        """A string naming the function the cell computes; equal for isomorphic cells.

        Every node is written as the sum of its incoming terms: ``skip_connect``
        passes its source's expression through, ``none`` gives zero, every op of a
        zero input gives zero (so edges that cannot reach the output vanish), any
        other op gives ``op(source)``; the terms of a sum are sorted, so edges in
        parallel commute.

        ``convention="nb201"`` follows the benchmark's own de-duplication
        (``consider_zero=True`` in its API), which yields the 6,466 unique cells
        reported in the paper. It works on strings: a node is the sorted,
        ``+``-joined strings of its terms, so a sum passed on by a skip edge is
        not re-sorted with its new siblings (the count thus depends on the
        spelling, which we keep: ``0`` the input, ``#`` zero, ``(src)@op``);
        zero terms stay in their sums; and a node counts as zero only when it is
        a single zero term.

        ``convention="functional"`` is exact algebra on the same model, every op
        an opaque function: nested sums are flattened, zero terms dropped, and a
        node with no non-zero term is zero. It merges classes that the benchmark
        keeps apart: 4,930 classes. (Neither convention uses the linearity of
        average pooling.)
        """
        if convention == "nb201":
            return self._nb201_expression()
        if convention == "functional":
            return repr(self._functional_expression())
        raise InvalidInputError(f"unknown convention {convention!r}; known: nb201, functional")

    def _nb201_expression(self) -> str:
        # the benchmark's exact spelling ("0" the input, "#" zero, "(src)@op"):
        # nested sums are compared as strings, so the class count depends on it
        zero = "#"
        node = {1: "0"}
        for target in (2, 3, 4):
            terms = []
            for (src, dst), op in zip(EDGES, self.ops, strict=True):
                if dst != target:
                    continue
                if op == _NONE or node[src] == zero:
                    terms.append(zero)
                elif op == _SKIP:
                    terms.append(node[src])
                else:
                    terms.append(f"({node[src]})@{OPS[op]}")
            node[target] = "+".join(sorted(terms))
        return node[4]

    def _functional_expression(self) -> tuple:
        # a node is a sorted tuple of terms (a multiset sum); () is zero;
        # a term is (op name, argument sum) or "x" for the cell input
        node: dict[int, tuple] = {1: ("x",)}
        for target in (2, 3, 4):
            terms: list = []
            for (src, dst), op in zip(EDGES, self.ops, strict=True):
                if dst != target or op == _NONE or not node[src]:
                    continue
                if op == _SKIP:
                    terms.extend(node[src])
                else:
                    terms.append((OPS[op], node[src]))
            node[target] = tuple(sorted(terms, key=repr))
        return node[4]

    def canonical(self, convention: str = "nb201") -> NasBench201Arch:
        """The lexicographically smallest ops tuple of the arch's isomorphism class
        (under ``convention``, see :meth:`isomorphism_key`)."""
        return _canonical_table(convention)[self.isomorphism_key(convention)]

    # ---- views ----------------------------------------------------------------

    def to_dag(self) -> LabelledDAG:
        """Ops on nodes: node 0 the input, nodes 1..6 the edge ops in key order,
        node 7 the output. An edge op feeds every op leaving its target cell node;
        ops leaving cell node 1 read the input and ops entering node 4 feed the output."""
        n = len(EDGES) + 2
        adj = np.zeros((n, n), dtype=np.int8)
        for e, (src, dst) in enumerate(EDGES):
            if src == 1:
                adj[0, e + 1] = 1
            if dst == 4:
                adj[e + 1, n - 1] = 1
            for f, (src2, _) in enumerate(EDGES):
                if src2 == dst:
                    adj[e + 1, f + 1] = 1
        ops = ("input", *(OPS[o] for o in self.ops), "output")
        return LabelledDAG(adj, ops, ("input", *OPS, "output"))

    def edge_ops(self) -> tuple[str, ...]:
        """The op name on each edge, in key order."""
        return tuple(OPS[o] for o in self.ops)


@lru_cache(maxsize=2)
def _canonical_table(convention: str) -> dict[str, NasBench201Arch]:
    """Isomorphism key -> lexicographically smallest arch of its class."""
    table: dict[str, NasBench201Arch] = {}
    # product() yields tuples in lexicographic order, so the first seen is the smallest
    for ops in itertools.product(range(len(OPS)), repeat=len(EDGES)):
        arch = NasBench201Arch(ops)
        table.setdefault(arch.isomorphism_key(convention), arch)
    return table


# ---- network ----------------------------------------------------------------------


class ReLUConvBN(nn.Sequential):
    """ReLU, bias-free convolution, BatchNorm: NB201's convolution op."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=False),
            nn.BatchNorm2d(c_out),
        )


class Zero(nn.Module):
    """The ``none`` op: zeros shaped like the input (kept in the graph as NB201 does)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Zeros shaped like ``x``, computed as ``x * 0`` so the op stays in the autograd graph."""
        return x.mul(0.0)


def make_op(op: int, channels: int) -> nn.Module:
    """The module of edge op ``op`` (index into :data:`OPS`) at ``channels`` channels."""
    name = OPS[op]
    if name == "skip_connect":
        return nn.Identity()
    if name == "none":
        return Zero()
    if name == "nor_conv_3x3":
        return ReLUConvBN(channels, channels, 3, 1)
    if name == "nor_conv_1x1":
        return ReLUConvBN(channels, channels, 1, 1)
    # NB201 averages over the valid window only at the border
    return ValidAvgPool2d(3, stride=1, padding=1)


class NasBench201Cell(nn.Module):
    """One cell: node ``j`` is the sum of ``op(node i)`` over edges ``(i, j)``."""

    def __init__(self, arch: NasBench201Arch, channels: int) -> None:
        super().__init__()
        self.edges = nn.ModuleList(make_op(op, channels) for op in arch.ops)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the cell to ``x``: each node sums its incoming edge ops; returns node 4."""
        nodes = {1: x}
        for target in (2, 3, 4):
            nodes[target] = sum(
                op(nodes[src])
                for (src, dst), op in zip(EDGES, self.edges, strict=True)
                if dst == target
            )
        return nodes[4]


class ResNetBasicBlock(nn.Module):
    """NB201's reduction block: two ReLU-conv-BN (the first of stride 2) plus a
    shortcut of 2x2 average pooling and a 1x1 convolution."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, 2)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, 1)
        self.shortcut = nn.Sequential(
            nn.AvgPool2d(2, stride=2), nn.Conv2d(c_in, c_out, 1, bias=False)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The shortcut of ``x`` plus its two ReLU-conv-BN (the first of stride 2)."""
        return self.shortcut(x) + self.conv_b(self.conv_a(x))


class NasBench201Network(nn.Module):
    """The NB201 macro skeleton around ``arch``; ``forward`` returns logits.

    Dong & Yang, ICLR 2020: stem conv 3x3 (``in_channels`` -> ``C``) + BN; stages of
    ``N`` cells at ``C``, ``2C``, ``4C`` channels with a ResNet basic block of stride 2
    between stages; BN + ReLU; global average pooling; linear classifier.

    Args:
        arch: the cell, repeated in every stage.
        num_classes: outputs of the classifier.
        C: channels of the first stage.
        N: cells per stage.
        in_channels: input planes (3 for images; 1 for NinaPro's EMG signals).
    """

    def __init__(
        self, arch: NasBench201Arch, num_classes: int, C: int = 16, N: int = 5, in_channels: int = 3
    ) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, C, 3, padding=1, bias=False), nn.BatchNorm2d(C)
        )
        layers: list[nn.Module] = []
        c_prev = C
        for stage, channels in enumerate((C, 2 * C, 4 * C)):
            if stage > 0:
                layers.append(ResNetBasicBlock(c_prev, channels))
            layers.extend(NasBench201Cell(arch, channels) for _ in range(N))
            c_prev = channels
        self.cells = nn.Sequential(*layers)
        self.lastact = nn.Sequential(nn.BatchNorm2d(c_prev), nn.ReLU(inplace=True))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of a batch of images ``x`` of shape ``(B, 3, H, W)``."""
        out = self.lastact(self.cells(self.stem(x)))
        return self.classifier(self.global_pooling(out).flatten(1))


# ---- space ------------------------------------------------------------------------


def _dataset_info(dataset: str) -> tuple[int, tuple[int, int, int]]:
    if dataset in DATASETS:
        return DATASETS[dataset]
    for name, info in DATASETS.items():
        if name.lower() == str(dataset).lower():
            return info
    raise InvalidInputError(
        f"unknown NAS-Bench-201 dataset {dataset!r}; known: {', '.join(DATASETS)}"
    )


def _as_arch(arch: Arch) -> NasBench201Arch:
    if not isinstance(arch, NasBench201Arch):
        raise WrongTypeError(f"expected a NasBench201Arch, got {type(arch).__name__}")
    return arch


#: ``count_flops`` options of the Suite-Zero records (torchstat "Flops"; see the module docstring).
FLOP_CONVENTION: dict[str, bool | int] = {
    "count_pool": True,
    "norm_ops": 2,
    "act_ops": 1,
    "count_adaptive_pool": True,
}


def network_complexity(model: nn.Module, input_shape: tuple[int, ...]) -> tuple[int, int]:
    """``(params, flops)`` of a built module as raw counts, in the records' convention."""
    return count_params(model), count_flops(model, input_shape, **FLOP_CONVENTION)


@lru_cache(maxsize=64)
def _skeleton_complexity(
    num_classes: int, input_shape: tuple[int, int, int], C: int, N: int
) -> tuple[int, int, tuple[tuple[int, ...], ...]]:
    """Counts of the network without its cells, and the input shape of every cell.

    With ``none`` on every edge a cell has no parameters and nothing that counts,
    so the whole network's counts are those of the skeleton alone.
    """
    net = NasBench201Network(
        NasBench201Arch((_NONE,) * len(EDGES)), num_classes, C=C, N=N, in_channels=input_shape[0]
    )
    shapes: list[tuple[int, ...]] = []
    hooks = [
        cell.register_forward_pre_hook(lambda _m, inp: shapes.append(tuple(inp[0].shape[1:])))
        for cell in net.cells
        if isinstance(cell, NasBench201Cell)
    ]
    try:
        params, flops = network_complexity(net, input_shape)
    finally:
        for hook in hooks:
            hook.remove()
    return params, flops, tuple(shapes)


@lru_cache(maxsize=256)
def _op_complexity(op: int, shape: tuple[int, ...]) -> tuple[int, int]:
    """Counts of one edge-op module on an input of ``shape``."""
    return network_complexity(make_op(op, shape[0]), shape)


@lru_cache(maxsize=4096)
def _multiset_complexity(
    ops: tuple[int, ...], num_classes: int, input_shape: tuple[int, int, int], C: int, N: int
) -> tuple[int, int]:
    """Raw ``(params, flops)`` of the network whose cells carry the multiset ``ops``.

    Hook-based counts depend only on each module and the shapes it sees, and a
    cell's only counted modules are its edge ops (the node sums are not
    modules); every edge op maps ``C`` channels to ``C`` at the cell's input
    shape. So the network's counts are the skeleton's plus, for every cell, those
    of its six edge ops at its input shape, each counted once per (op, shape).
    """
    params, flops, cell_shapes = _skeleton_complexity(num_classes, input_shape, C, N)
    for shape, n_cells in Counter(cell_shapes).items():
        for op in ops:
            op_params, op_flops = _op_complexity(op, shape)
            params += n_cells * op_params
            flops += n_cells * op_flops
    return params, flops


class NasBench201Space(SearchSpace):
    """The NAS-Bench-201 space (Dong & Yang, ICLR 2020).

    ``C`` (channels of the first stage) and ``N`` (cells per stage) are the macro
    skeleton's hyper-parameters; the benchmark uses ``C=16, N=5``.
    """

    name: ClassVar[str] = "nasbench201"
    arch_type: ClassVar[type[Arch]] = NasBench201Arch
    op_names: ClassVar[tuple[str, ...]] = ("input", *OPS, "output")

    def __init__(self, C: int = 16, N: int = 5) -> None:
        self.C = C
        self.N = N

    def sample(self, rng: np.random.Generator) -> NasBench201Arch:
        """A cell with each of the six edge ops drawn uniformly (so uniform over all 15,625)."""
        return NasBench201Arch(tuple(int(o) for o in rng.integers(len(OPS), size=len(EDGES))))

    def neighbours(self, arch: Arch) -> list[NasBench201Arch]:
        """The 24 cells that differ from ``arch`` in exactly one edge's op."""
        arch = _as_arch(arch)
        out = []
        for e, current in enumerate(arch.ops):
            for op in range(len(OPS)):
                if op != current:
                    out.append(NasBench201Arch(arch.ops[:e] + (op,) + arch.ops[e + 1 :]))
        return out

    def all_archs(self) -> list[NasBench201Arch]:
        """All 15,625 cells, in key (lexicographic) order."""
        return [
            NasBench201Arch(ops) for ops in itertools.product(range(len(OPS)), repeat=len(EDGES))
        ]

    def num_classes(self, dataset: str) -> int:
        """Classes of ``dataset`` (a key of :data:`DATASETS`)."""
        return _dataset_info(dataset)[0]

    def input_shape(self, dataset: str) -> tuple[int, ...]:
        """``(planes, height, width)`` of ``dataset``'s inputs (see :data:`DATASETS`)."""
        return _dataset_info(dataset)[1]

    def build_network(self, arch: Arch, dataset: str) -> NasBench201Network:
        """The NB201 network (this space's ``C``, ``N``) for ``arch`` on ``dataset``, fresh init."""
        num_classes, (planes, _, _) = _dataset_info(dataset)
        return NasBench201Network(
            _as_arch(arch), num_classes, C=self.C, N=self.N, in_channels=planes
        )

    def complexity(self, arch: Arch, dataset: str) -> tuple[float, float]:
        """``(params, flops)`` in millions, in the convention of the benchmark
        records (see the module docstring); memoised by the multiset of edge ops,
        so all 15,625 cells cost at most 210 evaluations per dataset."""
        multiset = tuple(sorted(_as_arch(arch).ops))
        num_classes, input_shape = _dataset_info(dataset)
        params, flops = _multiset_complexity(multiset, num_classes, input_shape, self.C, self.N)
        return params / 1e6, flops / 1e6
