"""The DARTS cell search space, as benchmarked by NAS-Bench-301.

An architecture is a pair of cells (normal, reduction). Each cell has two input
nodes (0: the output of the cell before the previous one, 1: the previous cell's
output) and four intermediate nodes 2..5; intermediate node ``k`` sums two
operations applied to two *distinct* earlier nodes, and the cell's output is the
channel concatenation of nodes 2..5. A cell is written as eight ``(input, op)``
pairs, two per intermediate node, in node order -- the NASLib/BANANAS "compact"
form, which is also the NAS-Bench-Suite-Zero key:
``[[(0, 4), (1, 3), ...8 normal...], [(0, 3), ...8 reduce...]]``.

Op indices follow NASLib's compact DARTS op list (no ``none`` op):
0 max_pool_3x3, 1 avg_pool_3x3, 2 skip_connect, 3 sep_conv_3x3, 4 sep_conv_5x5,
5 dil_conv_3x3, 6 dil_conv_5x5. The stored records confirm it as far as counts
can: with it the network built here reproduces the stored ``params`` and
``flops`` of all 500 Suite-Zero archs exactly, and moving skip or any of the
four convs to another index breaks the match. Max and average pool have equal
counts, so their order (max first) rests on NASLib's list alone.

The network (:meth:`DartsSpace.build_network`) is the DARTS CIFAR evaluation
network at NAS-Bench-301's size (init_channels C=32, 8 layers): a 3x3 stem with
3*C channels; 8 cells with reduction cells (channels doubled, stride 2 on the
edges from the cell inputs) at 1/3 and 2/3 of the depth (cells 2 and 5); each
cell's inputs preprocessed by ReLU-1x1conv-BN, or by FactorizedReduce for the
older input after a reduction; sep convs applied twice, dil convs once; skip in
a reduction cell is a FactorizedReduce; global average pooling and a linear
classifier. NAS-Bench-301 trained it with an auxiliary head (weight 0.4) and
drop path 0.2 (see :data:`NB301_TRAINING`); both are options, off by default.

Its BatchNorm follows NASLib's NAS-Bench-301 network, the one that produced the
Suite-Zero records: the ops inside the cells use BatchNorm *without* affine
parameters and each pool is followed by such a BatchNorm (as in DARTS's search
network), while the stem and preprocessing BatchNorms are affine. DARTS's own
evaluation network (affine BN in the cells, bare pools) is
``build_network(..., cell_affine=True, pool_bn=False)``.

How the stored Suite-Zero complexity figures were counted (found by matching all
500 records; see :meth:`DartsSpace.complexity`):

* ``params`` (millions): every trainable parameter of the default network above,
  *without* the auxiliary head. All 500 match exactly; with affine cell BNs the
  counts would be 0.5-1.2 % too high, with the aux head (0.468 M) 35-83 % too
  high.
* ``flops`` (millions): tensorwatch/torchstat's ``Flops``, the counter NASLib's
  ``flops`` measure calls, on one 3x32x32 input, no auxiliary head. Conv and
  linear layers count multiply-accumulates (no bias here), and in addition every
  ReLU counts one per element, every BatchNorm one per element (two when
  affine), every 3x3 pool 9 per output element, and the global pool torchstat's
  ``(h+1)*(w+1)`` per channel. All 500 match exactly; multiply-accumulates
  alone fall 3-8 % short.

References:
    Liu, Simonyan, Yang. "DARTS: Differentiable Architecture Search." ICLR 2019.
    Zela, Siems, Zimmer, Lukasik, Keuper, Hutter. "Surrogate NAS Benchmarks: Going
    Beyond the Limited Search Spaces of Tabular NAS Benchmarks" (NAS-Bench-301),
    ICLR 2022.
"""

from __future__ import annotations

import ast
import itertools
from collections import namedtuple
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from naspred.errors import ArchKeyError, InvalidInputError, WrongTypeError
from naspred.spaces.base import Arch, LabelledDAG, SearchSpace
from naspred.spaces.complexity import count_flops, count_params
from naspred.spaces.pooling import ValidAvgPool2d

#: DARTS ops in the index order of the Suite-Zero / NASLib compact keys.
DARTS_OPS: tuple[str, ...] = (
    "max_pool_3x3",
    "avg_pool_3x3",
    "skip_connect",
    "sep_conv_3x3",
    "sep_conv_5x5",
    "dil_conv_3x3",
    "dil_conv_5x5",
)
N_OPS = len(DARTS_OPS)
N_NODES = 4  # intermediate nodes per cell
N_PAIRS = 2 * N_NODES
CONCAT: tuple[int, ...] = (2, 3, 4, 5)

#: The DARTS paper's genotype record (op name, input node) per edge.
Genotype = namedtuple("Genotype", "normal normal_concat reduce reduce_concat")

_KEY_FORMAT = (
    "'[[(input, op), ... 8 pairs of the normal cell], [(input, op), ... 8 of the reduction "
    "cell]]' with intermediate node k (2..5) taking pairs 2(k-2) and 2(k-2)+1, distinct "
    f"inputs in 0..k-1, and op indices 0..{N_OPS - 1}"
)

_NATIVE_FORMS = (
    "a DARTS Genotype (the namedtuple, any object or dict with normal, reduce and "
    "optionally normal_concat/reduce_concat, or its printed form "
    "\"Genotype(normal=[('sep_conv_3x3', 0), ...8...], normal_concat=[2, 3, 4, 5], "
    'reduce=[...8...], reduce_concat=range(2, 6))")'
)

Cell = tuple[tuple[int, int], ...]


def _genotype_fields(text: str) -> dict[str, Any]:
    """The fields of a printed ``Genotype(...)``, read without evaluating code: each
    argument a literal, ``range(a, b)`` allowed for the concat fields (DARTS's search
    prints them so)."""
    bad = ArchKeyError(
        f"bad DARTS genotype string {text!r}; expected \"Genotype(normal=[('sep_conv_3x3', "
        "0), ...8 (op, input) edges...], normal_concat=[2, 3, 4, 5], reduce=[...], "
        'reduce_concat=[2, 3, 4, 5])"'
    )
    try:
        call = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, MemoryError, RecursionError) as err:
        raise bad from err
    fields = Genotype._fields
    if (
        not isinstance(call, ast.Call)
        or not isinstance(call.func, ast.Name)
        or call.func.id != "Genotype"
        or len(call.args) > len(fields)
    ):
        raise bad
    named = [(fields[i], node) for i, node in enumerate(call.args)]
    named += [(kw.arg, kw.value) for kw in call.keywords]
    out: dict[str, Any] = {}
    for name, node in named:
        if name not in fields or name in out:
            raise bad
        try:
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "range"
                and not node.keywords
            ):
                out[name] = range(*(ast.literal_eval(a) for a in node.args))
            else:
                out[name] = ast.literal_eval(node)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError) as err:
            raise bad from err
    return out


def _node_of_pair(p: int) -> int:
    """The intermediate node (2..5) that pair number ``p`` (0..7) feeds."""
    return 2 + p // 2


def _cell_problem(cell: Any) -> str | None:
    """Why ``cell`` is not a valid cell, or None if it is."""
    if not isinstance(cell, (tuple, list)) or len(cell) != N_PAIRS:
        return f"a cell must have {N_PAIRS} (input, op) pairs"
    for p, pair in enumerate(cell):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            return f"pair {p} is not an (input, op) pair"
        inp, op = pair
        if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in pair):
            return f"pair {p} holds non-integers"
        k = _node_of_pair(p)
        if not 0 <= inp < k:
            return f"node {k} takes input {inp}, outside 0..{k - 1}"
        if not 0 <= op < N_OPS:
            return f"op index {op} outside 0..{N_OPS - 1}"
    for k in range(N_NODES):
        if cell[2 * k][0] == cell[2 * k + 1][0]:
            return f"node {k + 2} takes input {cell[2 * k][0]} twice"
    return None


def _as_cell(cell: Sequence[Sequence[int]]) -> Cell:
    return tuple((int(i), int(o)) for i, o in cell)


def _sort_pairs(cell: Cell) -> Cell:
    return tuple(p for k in range(N_NODES) for p in sorted(cell[2 * k : 2 * k + 2]))


def _canonical_cell(cell: Cell) -> Cell:
    """Smallest form of ``cell`` over the isomorphic relabellings.

    Two things do not change the computed function class: the order of a node's
    two pairs (the node sums them) and the numbering of the intermediate nodes,
    as long as every node still comes after its inputs (all four are
    concatenated into the output, and a permutation of the concatenated channels
    is absorbed by the next layer's 1x1 convolution or the classifier).
    """
    best: Cell | None = None
    for perm in itertools.permutations(range(N_NODES)):
        # perm[j] = old intermediate node index (0-based) placed at new position j
        new_of_old = {0: 0, 1: 1}
        new_of_old.update({perm[j] + 2: j + 2 for j in range(N_NODES)})
        pairs: list[tuple[int, int]] = []
        ok = True
        for j in range(N_NODES):
            old = perm[j]
            for inp, op in cell[2 * old : 2 * old + 2]:
                new_inp = new_of_old[inp]
                if new_inp >= j + 2:  # input would come after its consumer
                    ok = False
                    break
                pairs.append((new_inp, op))
            if not ok:
                break
        if not ok:
            continue
        cand = _sort_pairs(tuple(pairs))
        if best is None or cand < best:
            best = cand
    assert best is not None  # the identity permutation is always valid
    return best


def _format_cell(cell: Cell) -> str:
    return "[" + ", ".join(f"({i}, {o})" for i, o in cell) + "]"


@dataclass(frozen=True)
class DartsArch(Arch):
    """A DARTS / NAS-Bench-301 architecture: a normal and a reduction cell.

    Each cell is a tuple of eight ``(input, op)`` pairs; pairs ``2(k-2)`` and
    ``2(k-2)+1`` feed intermediate node ``k`` (2..5), inputs index nodes 0..k-1
    (0 and 1 are the cell's two inputs) and must differ within a node; op indices
    follow :data:`DARTS_OPS`. Lists are accepted and stored as tuples.

    Liu et al., "DARTS: Differentiable Architecture Search", ICLR 2019; Zela et
    al., "Surrogate NAS Benchmarks" (NAS-Bench-301), ICLR 2022.
    """

    normal: Cell
    reduce: Cell

    space: ClassVar[str] = "nasbench301"
    key_format: ClassVar[str] = _KEY_FORMAT
    native_forms: ClassVar[str] = _NATIVE_FORMS

    def __post_init__(self) -> None:
        for name in ("normal", "reduce"):
            cell = getattr(self, name)
            problem = _cell_problem(cell)
            if problem is not None:
                raise ArchKeyError(f"invalid DARTS {name} cell {cell!r}: {problem}")
            object.__setattr__(self, name, _as_cell(cell))

    # -- keys ---------------------------------------------------------------

    @classmethod
    def _parse_key(cls, key: str) -> DartsArch:
        """Parse a Suite-Zero key ``'[[(i, op), ...8...], [(i, op), ...8...]]'``."""
        try:
            value = ast.literal_eval(key)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as e:
            raise ArchKeyError(f"cannot parse DARTS key {key!r}; expected {_KEY_FORMAT}") from e
        if not isinstance(value, (list, tuple)) or len(value) != 2:
            raise ArchKeyError(f"DARTS key {key!r} is not two cells; expected {_KEY_FORMAT}")
        for name, cell in zip(("normal", "reduce"), value, strict=True):
            problem = _cell_problem(cell)
            if problem is not None:
                raise ArchKeyError(
                    f"DARTS key {key!r}: {name} cell invalid ({problem}); expected {_KEY_FORMAT}"
                )
        return cls(_as_cell(value[0]), _as_cell(value[1]))

    def to_key(self) -> str:
        """The Suite-Zero key, e.g. ``'[[(0, 4), (1, 3), ...], [(0, 3), ...]]'``."""
        return f"[{_format_cell(self.normal)}, {_format_cell(self.reduce)}]"

    # -- DARTS genotype -------------------------------------------------------

    def to_genotype(self) -> Genotype:
        """The DARTS paper's ``Genotype`` (op names, input indices, concat [2, 3, 4, 5])."""
        return Genotype(
            normal=[(DARTS_OPS[o], i) for i, o in self.normal],
            normal_concat=list(CONCAT),
            reduce=[(DARTS_OPS[o], i) for i, o in self.reduce],
            reduce_concat=list(CONCAT),
        )

    @classmethod
    def from_genotype(cls, genotype: Any) -> DartsArch:
        """Build from a DARTS ``Genotype``.

        Args:
            genotype: a namedtuple, object or mapping with fields ``normal``,
                ``reduce`` (eight ``(op name, input)`` edges each) and optionally
                ``normal_concat``/``reduce_concat`` (which must be nodes 2..5), or
                its printed form ``"Genotype(normal=[...], normal_concat=range(2, 6),
                ...)"``.
        """
        if isinstance(genotype, str):
            genotype = _genotype_fields(genotype)

        def field_of(name: str, default: Any = None) -> Any:
            if isinstance(genotype, Mapping):
                return genotype.get(name, default)
            return getattr(genotype, name, default)

        cells = []
        for name in ("normal", "reduce"):
            concat = field_of(f"{name}_concat", CONCAT)
            if not isinstance(concat, (list, tuple, range)) or list(concat) != list(CONCAT):
                raise ArchKeyError(
                    f"{name}_concat {concat!r} unsupported: NAS-Bench-301 cells "
                    f"concatenate nodes {list(CONCAT)}"
                )
            edges = field_of(name)
            if not isinstance(edges, (list, tuple)) or len(edges) != N_PAIRS:
                raise ArchKeyError(f"genotype.{name} must list {N_PAIRS} (op, input) edges")
            cell = []
            for edge in edges:
                if not isinstance(edge, (list, tuple)) or len(edge) != 2:
                    raise ArchKeyError(f"genotype.{name} edge {edge!r} is not an (op, input) pair")
                op_name, inp = edge
                if op_name not in DARTS_OPS:
                    raise ArchKeyError(f"unknown DARTS op {op_name!r}; known: {DARTS_OPS}")
                if not isinstance(inp, (int, np.integer)) or isinstance(inp, bool):
                    raise ArchKeyError(f"genotype.{name} edge {edge!r}: input must be a node index")
                cell.append((int(inp), DARTS_OPS.index(op_name)))
            cells.append(tuple(cell))
        return cls(cells[0], cells[1])

    @classmethod
    def _from_native(cls, value: Any) -> DartsArch | None:
        if isinstance(value, str):
            return cls.from_genotype(value) if value.startswith("Genotype(") else None
        if isinstance(value, Mapping):
            has = "normal" in value and "reduce" in value
        else:
            has = hasattr(value, "normal") and hasattr(value, "reduce")
        return cls.from_genotype(value) if has else None

    # -- structure ------------------------------------------------------------

    def canonical(self) -> DartsArch:
        """Representative of the isomorphism class: in each cell, the two pairs of a
        node sorted and the intermediate nodes renumbered (keeping inputs before
        consumers) to give the lexicographically smallest cell."""
        return DartsArch(_canonical_cell(self.normal), _canonical_cell(self.reduce))

    def to_dag(self) -> LabelledDAG:
        """Node-labelled DAG of both cells, stacked as they occur in the network.

        Layout (32 nodes, fixed for every arch): node 0 ``input``; then the normal
        cell's block of 15 nodes, then the reduction cell's block, then node 31
        ``output``. A block is ``c_{k-2}``, ``c_{k-1}`` (the cell inputs), then for
        each intermediate node its two op nodes (labelled by op name) followed by
        its ``sum`` node, and last the cell's ``concat`` node. Edges: input ->
        both normal-cell inputs; the normal ``concat`` -> both reduction-cell
        inputs (the reduction cell reads earlier normal cells); reduction
        ``concat`` -> output; inside a block, source node -> op node -> its
        ``sum``, and every ``sum`` -> ``concat``.
        """
        n = 2 + 2 * _BLOCK
        adj = np.zeros((n, n), dtype=np.int8)
        ops: list[str] = ["input"]
        prev_out = 0
        for cell in (self.normal, self.reduce):
            base = len(ops)
            ops += ["c_{k-2}", "c_{k-1}"]
            adj[prev_out, base] = adj[prev_out, base + 1] = 1
            node_pos = {0: base, 1: base + 1}
            sums = []
            for k in range(N_NODES):
                op_nodes = []
                for inp, op in cell[2 * k : 2 * k + 2]:
                    op_nodes.append(len(ops))
                    adj[node_pos[inp], len(ops)] = 1
                    ops.append(DARTS_OPS[op])
                s = len(ops)
                ops.append("sum")
                for o in op_nodes:
                    adj[o, s] = 1
                node_pos[k + 2] = s
                sums.append(s)
            concat = len(ops)
            ops.append("concat")
            for s in sums:
                adj[s, concat] = 1
            prev_out = concat
        ops.append("output")
        adj[prev_out, n - 1] = 1
        return LabelledDAG(adjacency=adj, ops=tuple(ops), op_names=DAG_OP_NAMES)


_BLOCK = 2 + 3 * N_NODES + 1  # nodes per cell block in to_dag()

#: Vocabulary of :meth:`DartsArch.to_dag` labels.
DAG_OP_NAMES: tuple[str, ...] = (
    "input",
    "output",
    "c_{k-2}",
    "c_{k-1}",
    *DARTS_OPS,
    "sum",
    "concat",
)


# ---------------------------------------------------------------------------
# network
# ---------------------------------------------------------------------------


class ReLUConvBN(nn.Module):
    """ReLU -> conv -> BatchNorm (DARTS's preprocessing block)."""

    def __init__(
        self, c_in: int, c_out: int, kernel: int, stride: int, padding: int, affine: bool = True
    ) -> None:
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, bias=False),
            nn.BatchNorm2d(c_out, affine=affine),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """ReLU, convolution and BatchNorm of ``x``."""
        return self.op(x)


class FactorizedReduce(nn.Module):
    """Halve the resolution with two offset stride-2 1x1 convs, each giving half the
    output channels, so no input pixel is skipped (DARTS)."""

    def __init__(self, c_in: int, c_out: int, affine: bool = True) -> None:
        super().__init__()
        if c_out % 2:
            raise InvalidInputError(f"FactorizedReduce needs an even output width, got {c_out}")
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(c_out, affine=affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` at half resolution: ReLU, the two offset 1x1 convs concatenated, BatchNorm."""
        x = self.relu(x)
        return self.bn(torch.cat([self.conv_1(x), self.conv_2(x[:, :, 1:, 1:])], dim=1))


class SepConv(nn.Module):
    """DARTS separable conv: (ReLU, depthwise kxk, pointwise 1x1, BN) applied twice,
    the first with the op's stride."""

    def __init__(self, c: int, kernel: int, stride: int, affine: bool = True) -> None:
        super().__init__()
        pad = kernel // 2
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(c, c, kernel, stride=stride, padding=pad, groups=c, bias=False),
            nn.Conv2d(c, c, 1, bias=False),
            nn.BatchNorm2d(c, affine=affine),
            nn.ReLU(inplace=False),
            nn.Conv2d(c, c, kernel, stride=1, padding=pad, groups=c, bias=False),
            nn.Conv2d(c, c, 1, bias=False),
            nn.BatchNorm2d(c, affine=affine),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The two ReLU-depthwise-pointwise-BN stages applied to ``x``."""
        return self.op(x)


class DilConv(nn.Module):
    """DARTS dilated separable conv: ReLU, depthwise kxk with dilation 2, 1x1, BN."""

    def __init__(self, c: int, kernel: int, stride: int, affine: bool = True) -> None:
        super().__init__()
        pad = 2 * (kernel // 2)
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(c, c, kernel, stride=stride, padding=pad, dilation=2, groups=c, bias=False),
            nn.Conv2d(c, c, 1, bias=False),
            nn.BatchNorm2d(c, affine=affine),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """ReLU, dilated depthwise conv, pointwise conv and BatchNorm of ``x``."""
        return self.op(x)


class Pool(nn.Module):
    """3x3 max or average pool (average excludes padding), optionally followed by a
    BatchNorm without affine parameters as in DARTS's search ops / NASLib."""

    def __init__(self, c: int, kind: str, stride: int, bn: bool = True) -> None:
        super().__init__()
        if kind == "max":
            self.pool: nn.Module = nn.MaxPool2d(3, stride=stride, padding=1)
        else:
            self.pool = ValidAvgPool2d(3, stride=stride, padding=1)
        self.bn = nn.BatchNorm2d(c, affine=False) if bn else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The pool of ``x``, then the non-affine BatchNorm when enabled."""
        return self.bn(self.pool(x))


def make_op(
    name: str, c: int, stride: int, *, affine: bool = True, pool_bn: bool = True
) -> nn.Module:
    """One DARTS op on ``c`` channels with ``stride`` (1, or 2 on a reduction cell's
    edges from its inputs)."""
    if name == "max_pool_3x3":
        return Pool(c, "max", stride, bn=pool_bn)
    if name == "avg_pool_3x3":
        return Pool(c, "avg", stride, bn=pool_bn)
    if name == "skip_connect":
        return nn.Identity() if stride == 1 else FactorizedReduce(c, c, affine=affine)
    if name in ("sep_conv_3x3", "sep_conv_5x5"):
        return SepConv(c, int(name[-1]), stride, affine=affine)
    if name in ("dil_conv_3x3", "dil_conv_5x5"):
        return DilConv(c, int(name[-1]), stride, affine=affine)
    raise InvalidInputError(f"unknown DARTS op {name!r}; known: {DARTS_OPS}")


class DropPath(nn.Module):
    """Zero a whole sample's branch with probability ``p`` while training, scaling
    the kept ones by 1/(1-p) (ScheduledDropPath of NASNet/DARTS; 0 = off)."""

    def __init__(self, p: float = 0.0) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` with each sample's branch zeroed with probability ``p`` and the kept ones
        scaled by ``1/(1-p)`` while training; ``x`` itself in eval mode or when ``p`` is 0."""
        if not self.training or self.p <= 0.0:
            return x
        keep = 1.0 - self.p
        mask = torch.empty(x.shape[0], 1, 1, 1, device=x.device, dtype=x.dtype).bernoulli_(keep)
        return x * mask / keep


class DartsCell(nn.Module):
    """One cell: preprocess both inputs to ``c`` channels, four sum nodes, concat."""

    def __init__(
        self,
        cell: Cell,
        c_prev_prev: int,
        c_prev: int,
        c: int,
        reduction: bool,
        reduction_prev: bool,
        *,
        affine: bool = True,
        pool_bn: bool = True,
    ) -> None:
        super().__init__()
        # the input from two cells back has twice the resolution after a reduction
        self.preprocess0 = (
            FactorizedReduce(c_prev_prev, c)
            if reduction_prev
            else ReLUConvBN(c_prev_prev, c, 1, 1, 0)
        )
        self.preprocess1 = ReLUConvBN(c_prev, c, 1, 1, 0)
        self.inputs = tuple(i for i, _ in cell)
        self.ops = nn.ModuleList(
            make_op(
                DARTS_OPS[op],
                c,
                2 if reduction and inp < 2 else 1,
                affine=affine,
                pool_bn=pool_bn,
            )
            for inp, op in cell
        )
        self.drop = nn.ModuleList(DropPath() for _ in cell)
        self.reduction = reduction

    def forward(self, s0: torch.Tensor, s1: torch.Tensor) -> torch.Tensor:
        """Output of the cell from the outputs of the two cells before it.

        Args:
            s0: Output of the cell before the previous one (``c_{k-2}``).
            s1: Output of the previous cell (``c_{k-1}``).

        Returns:
            The channel concatenation of the four intermediate nodes.
        """
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for k in range(N_NODES):
            h = []
            for p in (2 * k, 2 * k + 1):
                out = self.ops[p](states[self.inputs[p]])
                if not isinstance(self.ops[p], nn.Identity):
                    out = self.drop[p](out)  # DARTS never drops an identity branch
                h.append(out)
            states.append(h[0] + h[1])
        return torch.cat([states[i] for i in CONCAT], dim=1)


class AuxiliaryHead(nn.Module):
    """DARTS's CIFAR auxiliary classifier, for 8x8 inputs."""

    def __init__(self, c: int, num_classes: int) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.ReLU(inplace=True),
            nn.AvgPool2d(5, stride=3, padding=0, count_include_pad=False),  # 8x8 -> 2x2
            nn.Conv2d(c, 128, 1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(inplace=True),
            nn.Conv2d(128, 768, 2, bias=False),
            nn.BatchNorm2d(768),
            nn.ReLU(inplace=True),
        )
        self.classifier = nn.Linear(768, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Auxiliary logits from an 8x8 feature map ``x``."""
        return self.classifier(self.features(x).flatten(1))


class DartsNetwork(nn.Module):
    """The DARTS CIFAR evaluation network for one genotype (see the module docstring
    for the layout and the BatchNorm variants).

    ``forward(x)`` returns the logits. With ``auxiliary=True`` an auxiliary head
    reads the output of the last reduction-stage cell (2/3 of the depth, as in
    DARTS); its logits are returned as ``(logits, aux_logits)`` while training,
    or always when ``forward(x, return_aux=True)``.
    """

    def __init__(
        self,
        arch: DartsArch,
        num_classes: int = 10,
        *,
        channels: int = 32,
        layers: int = 8,
        stem_multiplier: int = 3,
        auxiliary: bool = False,
        drop_path_prob: float = 0.0,
        cell_affine: bool = False,
        pool_bn: bool = True,
        in_channels: int = 3,
    ) -> None:
        super().__init__()
        self.genotype = arch
        self.auxiliary = auxiliary
        c_curr = stem_multiplier * channels
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, c_curr, 3, padding=1, bias=False), nn.BatchNorm2d(c_curr)
        )
        c_pp, c_p, c_curr = c_curr, c_curr, channels
        self.cells = nn.ModuleList()
        reduction_prev = False
        self._aux_index = 2 * layers // 3
        c_aux = 0
        for i in range(layers):
            reduction = i in (layers // 3, 2 * layers // 3)
            if reduction:
                c_curr *= 2
            cell = DartsCell(
                arch.reduce if reduction else arch.normal,
                c_pp,
                c_p,
                c_curr,
                reduction,
                reduction_prev,
                affine=cell_affine,
                pool_bn=pool_bn,
            )
            self.cells.append(cell)
            reduction_prev = reduction
            c_pp, c_p = c_p, len(CONCAT) * c_curr
            if i == self._aux_index:
                c_aux = c_p
        self.auxiliary_head = AuxiliaryHead(c_aux, num_classes) if auxiliary else None
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_p, num_classes)
        self.drop_path_prob = drop_path_prob

    @property
    def drop_path_prob(self) -> float:
        """Probability of dropping each non-identity op's branch while training."""
        return self._drop_path_prob

    @drop_path_prob.setter
    def drop_path_prob(self, p: float) -> None:
        if not 0.0 <= p < 1.0:
            raise InvalidInputError(f"drop_path_prob must be in [0, 1), got {p}")
        self._drop_path_prob = p
        for m in self.modules():
            if isinstance(m, DropPath):
                m.p = p

    def forward(
        self, x: torch.Tensor, return_aux: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Logits for a batch of images.

        Args:
            x: Images of shape ``(B, 3, H, W)``.
            return_aux: Run the auxiliary head in eval mode too (it always runs while
                training); ignored without ``auxiliary=True``.

        Returns:
            The logits, or ``(logits, aux_logits)`` when the auxiliary head ran.
        """
        s0 = s1 = self.stem(x)
        aux = None
        for i, cell in enumerate(self.cells):
            s0, s1 = s1, cell(s0, s1)
            if (
                i == self._aux_index
                and self.auxiliary_head is not None
                and (self.training or return_aux)
            ):
                aux = self.auxiliary_head(s1)
        logits = self.classifier(self.global_pooling(s1).flatten(1))
        if aux is not None:
            return logits, aux
        return logits


# ---------------------------------------------------------------------------
# the space
# ---------------------------------------------------------------------------

#: NAS-Bench-301's training settings (its data-generation configs), for reference.
NB301_TRAINING: dict[str, Any] = {
    "init_channels": 32,
    "layers": 8,
    "auxiliary": True,
    "auxiliary_weight": 0.4,
    "drop_path_prob": 0.2,
    "epochs": 100,
    "batch_size": 96,
    "optimizer": "sgd",
    "learning_rate": 0.025,
    "momentum": 0.9,
    "weight_decay": 3e-4,
    "lr_schedule": "cosine (T_max=100, eta_min=1e-8)",
    "augment": "crop+flip, cutout 16, mixup alpha 0.2",
}

_DATASETS: dict[str, tuple[tuple[int, int, int], int]] = {
    "cifar10": ((3, 32, 32), 10),
    "cifar100": ((3, 32, 32), 100),
    # NAS-Bench-360's datasets with the input shapes and class counts that reproduce
    # Suite-Zero's NB201 records on them (naspred.spaces.nasbench201.DATASETS); no
    # DARTS record on these datasets was at hand to check the DARTS counts against
    "svhn": ((3, 32, 32), 10),
    "scifar100": ((3, 60, 60), 100),
    "ninapro": ((1, 16, 52), 18),
}


class DartsSpace(SearchSpace):
    """The DARTS / NAS-Bench-301 search space (about 10^18 archs, so not enumerable).

    Liu et al., "DARTS: Differentiable Architecture Search", ICLR 2019; Zela et
    al., "Surrogate NAS Benchmarks" (NAS-Bench-301), ICLR 2022.
    """

    name: ClassVar[str] = "nasbench301"
    arch_type: ClassVar[type[Arch]] = DartsArch
    op_names: ClassVar[tuple[str, ...]] = DARTS_OPS

    def sample(self, rng: np.random.Generator) -> DartsArch:
        """Uniform draw: each node picks 2 distinct inputs (an ordered pair, uniformly)
        and 2 ops, independently and uniformly, in each cell."""
        cells = []
        for _ in range(2):
            cell = []
            for k in range(2, 2 + N_NODES):
                inputs = rng.choice(k, size=2, replace=False)
                ops = rng.integers(N_OPS, size=2)
                cell += [(int(inputs[0]), int(ops[0])), (int(inputs[1]), int(ops[1]))]
            cells.append(tuple(cell))
        return DartsArch(cells[0], cells[1])

    def neighbours(self, arch: Arch) -> list[Arch]:
        """Every arch one edit away: one pair's op changed, or one pair's input
        changed to another earlier node that its sibling does not use. Edits that
        only give an isomorphic copy of ``arch`` are left out."""
        if not isinstance(arch, DartsArch):
            raise WrongTypeError(f"expected a DartsArch, got {type(arch).__name__}")
        own = arch.canonical()
        out: list[Arch] = []
        for c in range(2):
            cells = [list(arch.normal), list(arch.reduce)]
            cell = cells[c]
            for p, (inp, op) in enumerate(cell):
                k = _node_of_pair(p)
                sibling = cell[p ^ 1][0]
                edits = [(inp, o) for o in range(N_OPS) if o != op]
                edits += [(i, op) for i in range(k) if i not in (inp, sibling)]
                for pair in edits:
                    new = list(cell)
                    new[p] = pair
                    both = list(cells)
                    both[c] = new
                    cand = DartsArch(tuple(both[0]), tuple(both[1]))
                    if cand.canonical() != own:
                        out.append(cand)
        return out

    def num_classes(self, dataset: str) -> int:
        """Number of classes of ``dataset``."""
        return self._dataset(dataset)[1]

    def input_shape(self, dataset: str) -> tuple[int, ...]:
        """``(planes, height, width)`` of ``dataset``'s inputs; an unknown dataset raises
        InvalidInputError."""
        return self._dataset(dataset)[0]

    @staticmethod
    def _dataset(dataset: str) -> tuple[tuple[int, int, int], int]:
        if dataset not in _DATASETS:
            raise InvalidInputError(
                f"DARTS space has no dataset {dataset!r}; known: {', '.join(_DATASETS)}"
            )
        return _DATASETS[dataset]

    def build_network(
        self,
        arch: Arch,
        dataset: str = "cifar10",
        *,
        auxiliary: bool = False,
        drop_path_prob: float = 0.0,
        channels: int = 32,
        layers: int = 8,
        cell_affine: bool = False,
        pool_bn: bool = True,
    ) -> DartsNetwork:
        """The DARTS CIFAR network as NAS-Bench-301 trained it (C=32, 8 cells).

        NAS-Bench-301 trained with an auxiliary head (weight 0.4) and drop path
        0.2; both are options here and off by default, so the plain network is
        what zero-cost proxies see and what the stored ``params`` count.
        ``cell_affine``/``pool_bn`` pick the BatchNorm variant (module docstring):
        the defaults are NASLib's, which the Suite-Zero records were computed on.
        """
        if not isinstance(arch, DartsArch):
            raise WrongTypeError(f"expected a DartsArch, got {type(arch).__name__}")
        return DartsNetwork(
            arch,
            self.num_classes(dataset),
            channels=channels,
            layers=layers,
            auxiliary=auxiliary,
            drop_path_prob=drop_path_prob,
            cell_affine=cell_affine,
            pool_bn=pool_bn,
            in_channels=self.input_shape(dataset)[0],
        )

    def complexity(self, arch: Arch, dataset: str = "cifar10") -> tuple[float, float]:
        """``(params, flops)`` in millions, counted as the NAS-Bench-Suite-Zero records
        count them (see the module docstring): parameters of the network without
        auxiliary head; FLOPs by torchstat's rules (conv/linear MACs plus ReLU,
        BatchNorm, pooling element counts)."""
        net = self.build_network(arch, dataset)
        params = count_params(net)
        flops = count_flops(
            net,
            self.input_shape(dataset),
            count_pool=True,
            norm_ops=2,
            norm_ops_nonaffine=1,
            act_ops=1,
            count_adaptive_pool=True,
        )
        return params / 1e6, flops / 1e6
