"""NAS-Bench-101: the cell space of Ying et al.

Ying, Klein, Real, Christiansen, Murphy, Hutter, "NAS-Bench-101: Towards
Reproducible Neural Architecture Search", ICML 2019.

A cell is a DAG of at most 7 nodes and 9 edges, given as an upper-triangular
adjacency matrix plus one op per node: the first node is the cell input, the
last its output, and each intermediate node is ``conv3x3-bn-relu``,
``conv1x1-bn-relu`` or ``maxpool3x3``. As in the benchmark, a spec is *pruned*
before it is judged or built: nodes that are not on some input->output path are
dropped, and the edge limit applies to the pruned matrix. The Suite-Zero keys
hold raw 7x7 specs (as NB101's random sampler draws them), so a key may
carry up to 21 edges and dangling nodes; :class:`NasBench101Arch` keeps the raw
spec so that keys round-trip byte for byte, and :meth:`NasBench101Arch.pruned`
gives the graph that is actually computed.

Complexity convention (checked against the ``params`` and ``flops`` stored in
Suite-Zero's ``zc_nasbench101.json``: all 500 archs agree exactly).
``params`` is the number of trainable parameters of the network built here, in
millions: convolutions without bias, batch-norm scale and shift, the dense
classifier with its bias (the benchmark's ``trainable_parameters``).
``flops`` (millions, one 3x32x32 image) is *not* plain MACs: it is
conv + dense multiply-accumulates (no bias terms), plus kernel-area ops per
output element of every max-pool (9 for the 3x3 op, 4 for the 2x2
downsampling), plus 3 ops per output element of every conv-BN-ReLU unit;
additions and concatenations count zero. The data fix only the BN + ReLU sum,
since every BN is followed by a ReLU; we book it as 2 for BN (scale, shift) and
1 for ReLU (``count_flops(..., count_pool=True, norm_ops=2, act_ops=1)``).
Plain conv + dense MACs come out 0.2-13% below the stored values.
"""

from __future__ import annotations

import ast
import hashlib
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from naspred.errors import ArchKeyError, InvalidInputError
from naspred.spaces.base import Arch, LabelledDAG, SearchSpace
from naspred.spaces.complexity import count_flops, count_params

INPUT = "input"
OUTPUT = "output"
CONV1X1 = "conv1x1-bn-relu"
CONV3X3 = "conv3x3-bn-relu"
MAXPOOL3X3 = "maxpool3x3"

#: Op names in the index order of the Suite-Zero keys (0 input ... 4 conv3x3).
KEY_OPS: tuple[str, ...] = (INPUT, OUTPUT, MAXPOOL3X3, CONV1X1, CONV3X3)
#: The ops an intermediate node may take (the order NB101's own sampler lists).
INTERMEDIATE_OPS: tuple[str, ...] = (CONV3X3, CONV1X1, MAXPOOL3X3)
#: The labelled-DAG vocabulary, for one-hot encodings.
DAG_OP_NAMES: tuple[str, ...] = (INPUT, CONV1X1, CONV3X3, MAXPOOL3X3, OUTPUT)

MAX_NODES = 7
MAX_EDGES = 9

_KEY_FORMAT = (
    "a tuple of n*n adjacency entries (row by row) then n op indices, n=7 in the "
    "benchmark files (56 entries), ops 0 input, 1 output, 2 maxpool3x3, "
    "3 conv1x1-bn-relu, 4 conv3x3-bn-relu, e.g. '(0, 1, 0, ..., 0, 2, 4, 3, 3, 4, 1)'"
)

_NATIVE_FORMS = (
    "an NB101 spec as nasbench's ModelSpec holds it: a (matrix, ops) pair, a dict "
    "{'matrix': [[0, 1, ...], ...], 'ops': ['input', ..., 'output']} (or either written "
    "out as a string), or a ModelSpec"
)

Matrix = tuple[tuple[int, ...], ...]


def _spec_of(value: Any) -> tuple[Any, Any] | None:
    """``(matrix, ops)`` of a value shaped like an NB101 spec (None otherwise): a
    ``{"matrix", "ops"}`` mapping, a ``(matrix, ops)`` pair whose matrix is a
    sequence of rows, or an object with ``original_matrix``/``original_ops`` (a
    ``ModelSpec``, whose raw spec is what the benchmark keys hold) or
    ``matrix``/``ops``."""
    if isinstance(value, Mapping):
        if "matrix" in value and "ops" in value:
            return value["matrix"], value["ops"]
        return None
    if isinstance(value, (tuple, list)):
        if len(value) == 2 and _is_rows(value[0]) and isinstance(value[1], (tuple, list)):
            return value[0], value[1]
        return None
    for matrix, ops in (("original_matrix", "original_ops"), ("matrix", "ops")):
        if hasattr(value, matrix) and hasattr(value, ops):
            return getattr(value, matrix), getattr(value, ops)
    return None


def _is_rows(value: Any) -> bool:
    if isinstance(value, np.ndarray):
        return value.ndim == 2
    return isinstance(value, (tuple, list)) and all(
        isinstance(row, (tuple, list, np.ndarray)) for row in value
    )


def _prune(matrix: Matrix, ops: tuple[str, ...]) -> tuple[Matrix, tuple[str, ...]] | None:
    """Drop nodes not on an input->output path, as NB101's ``ModelSpec`` does.

    Returns ``None`` when the output is not reachable from the input (NB101 calls
    such a spec invalid).
    """
    n = len(ops)
    # Nodes are topologically ordered, so one forward and one backward sweep suffice.
    from_input = [False] * n
    from_input[0] = True
    for j in range(1, n):
        from_input[j] = any(from_input[i] and matrix[i][j] for i in range(j))
    to_output = [False] * n
    to_output[n - 1] = True
    for i in range(n - 2, -1, -1):
        to_output[i] = any(to_output[j] and matrix[i][j] for j in range(i + 1, n))
    if not from_input[n - 1]:
        return None
    keep = [i for i in range(n) if from_input[i] and to_output[i]]
    if len(keep) == n:
        return matrix, ops
    pruned = tuple(tuple(matrix[i][j] for j in keep) for i in keep)
    return pruned, tuple(ops[i] for i in keep)


def _n_edges(matrix: Matrix) -> int:
    return sum(map(sum, matrix))


def _depths(matrix: Matrix) -> list[int]:
    """Longest-path distance from the input; an isomorphism invariant that is
    strictly increasing along every edge, so sorting by it is a topological order."""
    n = len(matrix)
    depth = [0] * n
    for j in range(1, n):
        depth[j] = max((depth[i] + 1 for i in range(j) if matrix[i][j]), default=0)
    return depth


def node_hashes(matrix: Matrix, ops: tuple[str, ...]) -> list[str]:
    """Per-node labels from iterative neighbourhood hashing (1-dim. Weisfeiler-Lehman).

    The idea is NB101's ``graph_util.hash_module`` (Ying et al. 2019): start from
    (op, in-degree, out-degree) and, as many rounds as there are nodes, re-hash
    each node's label with the sorted labels of its predecessors and successors.
    Equal graphs up to node order give equal multisets of labels. This is our own
    implementation (SHA-1 over our own string layout), so the digests differ from
    the benchmark's module hashes.
    """
    n = len(ops)
    ins = [[i for i in range(n) if matrix[i][j]] for j in range(n)]
    outs = [[j for j in range(n) if matrix[i][j]] for i in range(n)]
    labels = [f"{ops[v]}/{len(ins[v])}/{len(outs[v])}" for v in range(n)]
    labels = [hashlib.sha1(s.encode()).hexdigest() for s in labels]
    for _ in range(n):
        labels = [
            hashlib.sha1(
                (
                    labels[v]
                    + "<"
                    + ",".join(sorted(labels[u] for u in ins[v]))
                    + ">"
                    + ",".join(sorted(labels[w] for w in outs[v]))
                ).encode()
            ).hexdigest()
            for v in range(n)
        ]
    return labels


@lru_cache(maxsize=65536)
def _canonical_spec(matrix: Matrix, ops: tuple[str, ...]) -> tuple[Matrix, tuple[str, ...]]:
    """The isomorphism-class representative of an already pruned spec.

    Nodes are sorted by (depth, WL hash); both are invariants, so isomorphic specs
    agree on the sorted sequence of classes. Nodes in one tie class are usually
    automorphic, but 1-WL can fail to tell nodes apart, so we try every order
    inside the tie classes and keep the smallest encoding: that makes the form
    exact, not just probable.
    """
    n = len(ops)
    depth = _depths(matrix)
    hashes = node_hashes(matrix, ops)
    inv = [(depth[v], hashes[v]) for v in range(n)]
    classes: list[list[int]] = []
    for v in sorted(range(n), key=lambda v: inv[v]):
        if classes and inv[classes[-1][0]] == inv[v]:
            classes[-1].append(v)
        else:
            classes.append([v])
    best: tuple | None = None
    for choice in itertools.product(*(itertools.permutations(c) for c in classes)):
        order = [v for group in choice for v in group]
        enc = (
            tuple(ops[v] for v in order),
            tuple(tuple(matrix[a][b] for b in order) for a in order),
        )
        if best is None or enc < best:
            best = enc
    assert best is not None
    return best[1], best[0]


@dataclass(frozen=True)
class NasBench101Arch(Arch):
    """One NB101 cell spec: ``matrix`` (n x n, upper-triangular, 0/1) and ``ops``.

    Ying et al., "NAS-Bench-101: Towards Reproducible Neural Architecture Search",
    ICML 2019. The spec is stored as given (possibly unpruned, like the benchmark
    keys); construction checks that it is a valid NB101 cell: 2..7 nodes, input first,
    output last, strictly upper-triangular, output reachable from input and at
    most 9 edges after pruning.
    """

    matrix: Matrix
    ops: tuple[str, ...]
    space: ClassVar[str] = "nasbench101"
    key_format: ClassVar[str] = _KEY_FORMAT
    native_forms: ClassVar[str] = _NATIVE_FORMS

    def __post_init__(self) -> None:
        n = len(self.ops)
        if not 2 <= n <= MAX_NODES:
            raise ArchKeyError(f"NB101 cells have 2..{MAX_NODES} nodes, got {n}: {self.ops}")
        if len(self.matrix) != n or any(len(row) != n for row in self.matrix):
            raise ArchKeyError(f"matrix {self.matrix} is not {n}x{n} for ops {self.ops}")
        if any(x not in (0, 1) for row in self.matrix for x in row):
            raise ArchKeyError(f"matrix entries must be 0 or 1: {self.matrix}")
        if any(self.matrix[i][j] for i in range(n) for j in range(i + 1)):
            raise ArchKeyError(f"matrix must be strictly upper triangular: {self.matrix}")
        if self.ops[0] != INPUT or self.ops[-1] != OUTPUT:
            raise ArchKeyError(f"ops must start with {INPUT!r} and end with {OUTPUT!r}: {self.ops}")
        bad = [op for op in self.ops[1:-1] if op not in INTERMEDIATE_OPS]
        if bad:
            raise ArchKeyError(f"unknown intermediate ops {bad}; known: {INTERMEDIATE_OPS}")
        pruned = _prune(self.matrix, self.ops)
        if pruned is None:
            raise ArchKeyError(f"output not reachable from input: {self.matrix}")
        if _n_edges(pruned[0]) > MAX_EDGES:
            raise ArchKeyError(
                f"{_n_edges(pruned[0])} edges after pruning, NB101 allows {MAX_EDGES}: {self}"
            )

    # -- keys and specs -------------------------------------------------------

    @classmethod
    def _parse_key(cls, key: str) -> NasBench101Arch:
        """Parse a Suite-Zero key (see the module docstring for the layout)."""
        try:
            values = ast.literal_eval(key)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as err:
            raise ArchKeyError(f"bad NAS-Bench-101 key {key!r}; expected {_KEY_FORMAT}") from err
        if not isinstance(values, tuple) or not all(type(x) is int for x in values):
            raise ArchKeyError(f"bad NAS-Bench-101 key {key!r}; expected {_KEY_FORMAT}")
        n = next((m for m in range(2, MAX_NODES + 1) if m * m + m == len(values)), None)
        if n is None:
            raise ArchKeyError(
                f"bad NAS-Bench-101 key {key!r}: {len(values)} entries; expected {_KEY_FORMAT}"
            )
        op_idx = values[n * n :]
        if any(not 0 <= i < len(KEY_OPS) for i in op_idx):
            raise ArchKeyError(f"bad NAS-Bench-101 key {key!r}: op index out of range 0..4")
        matrix = tuple(tuple(values[i * n : (i + 1) * n]) for i in range(n))
        try:
            return cls(matrix, tuple(KEY_OPS[i] for i in op_idx))
        except ArchKeyError as err:
            raise ArchKeyError(f"bad NAS-Bench-101 key {key!r}: {err}") from err

    def to_key(self) -> str:
        """The Suite-Zero key: flattened matrix then op indices, as ``str(tuple)``."""
        flat = [x for row in self.matrix for x in row] + [KEY_OPS.index(op) for op in self.ops]
        return str(tuple(flat))

    @classmethod
    def from_spec(cls, matrix: np.ndarray | list[list[int]], ops: list[str]) -> NasBench101Arch:
        """From NB101's ``ModelSpec`` form: an adjacency matrix and op names.

        Args:
            matrix: the ``n x n`` 0/1 adjacency matrix, upper triangular.
            ops: the ``n`` op names, ``"input"`` first and ``"output"`` last.
        """
        try:
            m = np.asarray(matrix)
        except ValueError as err:  # a ragged list of rows
            raise ArchKeyError(f"NB101 matrix {matrix!r} is not a square 0/1 matrix") from err
        if m.ndim != 2:
            raise ArchKeyError(f"NB101 matrix must be 2-D, got shape {m.shape}")
        if isinstance(ops, str) or not all(isinstance(o, str) for o in ops):
            raise ArchKeyError(f"NB101 ops must be a list of op names, got {ops!r}")
        return cls(tuple(tuple(int(x) for x in row) for row in m), tuple(ops))

    @classmethod
    def _from_native(cls, value: Any) -> NasBench101Arch | None:
        if isinstance(value, str):
            # a dict or (matrix, ops) pair written out, e.g. one line of a keys file
            try:
                value = ast.literal_eval(value)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                return None
        spec = _spec_of(value)
        return None if spec is None else cls.from_spec(*spec)

    def to_spec(self) -> tuple[np.ndarray, list[str]]:
        """NB101's ``ModelSpec`` form: (int matrix, list of op names)."""
        return np.array(self.matrix, dtype=np.int64), list(self.ops)

    # -- structure ------------------------------------------------------------

    @property
    def n_nodes(self) -> int:
        """Number of nodes of the raw (unpruned) spec, input and output included."""
        return len(self.ops)

    @property
    def n_edges(self) -> int:
        """Number of edges of the raw (unpruned) spec."""
        return _n_edges(self.matrix)

    def pruned(self) -> NasBench101Arch:
        """The spec with nodes off every input->output path removed (what is built)."""
        pruned = _prune(self.matrix, self.ops)
        assert pruned is not None  # checked in __post_init__
        if pruned[1] is self.ops:
            return self
        return NasBench101Arch(*pruned)

    def graph_hash(self) -> str:
        """An isomorphism-invariant fingerprint of the pruned cell (see :func:`node_hashes`)."""
        p = self.pruned()
        return hashlib.sha1("|".join(sorted(node_hashes(p.matrix, p.ops))).encode()).hexdigest()

    def canonical(self) -> NasBench101Arch:
        """The pruned cell with its nodes in a canonical order: equal for, and only for,
        specs that compute the same graph (isomorphic after pruning)."""
        p = self.pruned()
        return NasBench101Arch(*_canonical_spec(p.matrix, p.ops))

    def to_dag(self) -> LabelledDAG:
        """The pruned cell as a labelled DAG (NB101 ops already sit on nodes)."""
        p = self.pruned()
        return LabelledDAG(
            np.array(p.matrix, dtype=np.int64), p.ops, DAG_OP_NAMES, max_nodes=MAX_NODES
        )


# -- the network ---------------------------------------------------------------

# NB101 trains with TensorFlow batch norm: decay 0.997 (PyTorch momentum 0.003), eps 1e-5.
_BN_MOMENTUM = 0.003
_BN_EPS = 1e-5


class ConvBnRelu(nn.Sequential):
    """Conv (no bias, 'same' padding) -> batch norm -> ReLU, NB101's conv unit."""

    def __init__(self, c_in: int, c_out: int, kernel: int) -> None:
        super().__init__(
            nn.Conv2d(c_in, c_out, kernel, padding=kernel // 2, bias=False),
            nn.BatchNorm2d(c_out, eps=_BN_EPS, momentum=_BN_MOMENTUM),
            nn.ReLU(inplace=False),
        )


def vertex_channels(c_in: int, c_out: int, matrix: Matrix) -> list[int]:
    """NB101's channel rule for a pruned cell.

    The output's channels are split as evenly as possible among the interior
    vertices that feed the output (earlier vertices take the remainder, one each);
    a vertex that does not feed the output gets the largest width among its
    interior successors, so that truncating it to any successor's width works.
    """
    n = len(matrix)
    ch = [0] * n
    ch[0], ch[-1] = c_in, c_out
    if n == 2:
        return ch
    feeders = sum(matrix[v][n - 1] for v in range(1, n - 1))
    base, extra = divmod(c_out, feeders)
    for v in range(1, n - 1):
        if matrix[v][n - 1]:
            ch[v] = base + (1 if extra > 0 else 0)
            extra -= 1
    for v in range(n - 3, 0, -1):
        if not matrix[v][n - 1]:
            ch[v] = max([ch[v]] + [ch[w] for w in range(v + 1, n - 1) if matrix[v][w]])
    return ch


class Cell(nn.Module):
    """One NB101 cell (module) for a pruned spec."""

    def __init__(self, matrix: Matrix, ops: tuple[str, ...], c_in: int, c_out: int) -> None:
        super().__init__()
        self.matrix = matrix
        n = len(ops)
        self.channels = vertex_channels(c_in, c_out, matrix)
        ch = self.channels
        self.vertex_ops = nn.ModuleList([nn.Identity()])
        # 1x1 projections of the cell input, one per interior vertex it feeds.
        self.input_proj = nn.ModuleDict()
        for v in range(1, n - 1):
            if ops[v] == CONV3X3:
                self.vertex_ops.append(ConvBnRelu(ch[v], ch[v], 3))
            elif ops[v] == CONV1X1:
                self.vertex_ops.append(ConvBnRelu(ch[v], ch[v], 1))
            else:
                self.vertex_ops.append(nn.MaxPool2d(3, stride=1, padding=1))
            if matrix[0][v]:
                self.input_proj[str(v)] = ConvBnRelu(c_in, ch[v], 1)
        # The input reaches the output through a projection when wired directly
        # (summed onto the concatenation), or as the whole output in a 2-node cell.
        self.output_proj = ConvBnRelu(c_in, c_out, 1) if matrix[0][n - 1] else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The cell's output for input ``x``.

        Each interior vertex applies its op to the sum of its interior predecessors
        (truncated to its width) and, when the input feeds it, a 1x1 projection of
        ``x``. The output concatenates the vertices that feed it and adds a projection
        of ``x`` when the input is wired to it directly.
        """
        m, ch = self.matrix, self.channels
        n = len(m)
        states: list[torch.Tensor] = [x]
        for v in range(1, n - 1):
            # Wider predecessors are truncated to this vertex's width (by one at most).
            inputs = [states[u][:, : ch[v]] for u in range(1, v) if m[u][v]]
            if m[0][v]:
                inputs.append(self.input_proj[str(v)](x))
            total = inputs[0]
            for t in inputs[1:]:
                total = total + t
            states.append(self.vertex_ops[v](total))
        feeders = [states[v] for v in range(1, n - 1) if m[v][n - 1]]
        if not feeders:
            assert self.output_proj is not None
            return self.output_proj(x)
        out = torch.cat(feeders, dim=1) if len(feeders) > 1 else feeders[0]
        if self.output_proj is not None:
            out = out + self.output_proj(x)
        return out


class NasBench101Network(nn.Module):
    """The NB101 network: stem, 3 stacks of 3 cells with max-pool downsampling and
    channel doubling between stacks, global average pool, dense classifier."""

    def __init__(
        self,
        arch: NasBench101Arch,
        num_classes: int = 10,
        stem_channels: int = 128,
        num_stacks: int = 3,
        cells_per_stack: int = 3,
    ) -> None:
        super().__init__()
        p = arch.pruned()
        layers: list[nn.Module] = [ConvBnRelu(3, stem_channels, 3)]
        c_in = c_out = stem_channels
        for stack in range(num_stacks):
            if stack > 0:
                layers.append(nn.MaxPool2d(2, stride=2))
                c_out *= 2
            for _ in range(cells_per_stack):
                layers.append(Cell(p.matrix, p.ops, c_in, c_out))
                c_in = c_out
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(c_out, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of a batch of images ``x`` of shape ``(B, 3, 32, 32)``."""
        return self.classifier(self.features(x).mean(dim=(2, 3)))


_NUM_CLASSES = {"cifar10": 10}


def complexity(arch: NasBench101Arch, dataset: str = "cifar10") -> tuple[float, float]:
    """(params in millions, FLOPs in millions) in the Suite-Zero convention (see the
    module docstring): trainable parameters, and conv + dense MACs plus pooling and
    BN/ReLU element ops of one 3x32x32 forward pass."""
    space = NasBench101Space()
    # Counting needs shapes, not weights: build on the meta device to skip the
    # (dominant) random init, then give the modules zeroed CPU storage; zeros rather
    # than uninitialised memory keep the probe pass free of NaN and denormals.
    with torch.device("meta"):
        net = space.build_network(arch, dataset)
    net = net.to_empty(device="cpu")
    with torch.no_grad():
        for t in itertools.chain(net.parameters(), net.buffers()):
            t.zero_()
    params = count_params(net)
    flops = count_flops(net, space.input_shape(dataset), count_pool=True, norm_ops=2, act_ops=1)
    return params / 1e6, flops / 1e6


class NasBench101Space(SearchSpace):
    """The NAS-Bench-101 space: Ying et al., "NAS-Bench-101: Towards Reproducible
    Neural Architecture Search", ICML 2019 (see the module docstring)."""

    name: ClassVar[str] = "nasbench101"
    arch_type: ClassVar[type[Arch]] = NasBench101Arch
    op_names: ClassVar[tuple[str, ...]] = DAG_OP_NAMES

    def sample(self, rng: np.random.Generator) -> NasBench101Arch:
        """A random 7-node spec, NB101's way: a random upper-triangular 0/1 matrix and
        random intermediate ops, redrawn until valid after pruning. This is uniform
        over valid raw specs (not over isomorphism classes)."""
        ops = (
            (INPUT,)
            + tuple(
                INTERMEDIATE_OPS[i] for i in rng.integers(len(INTERMEDIATE_OPS), size=MAX_NODES - 2)
            )
            + (OUTPUT,)
        )
        # Validity does not depend on the ops, so only the matrix is redrawn.
        while True:
            m = np.triu(rng.integers(0, 2, size=(MAX_NODES, MAX_NODES)), 1)
            matrix = tuple(tuple(int(x) for x in row) for row in m)
            pruned = _prune(matrix, ops)
            if pruned is not None and _n_edges(pruned[0]) <= MAX_EDGES:
                return NasBench101Arch(matrix, ops)

    def neighbours(self, arch: NasBench101Arch) -> list[NasBench101Arch]:
        """Valid specs one edit away: flip one upper-triangular entry, or give one
        intermediate node another op. Edits that leave the computed cell unchanged
        (e.g. touching only a dangling node) are left out, so every neighbour has a
        different :meth:`~NasBench101Arch.canonical` form."""
        own = arch.canonical()
        n = arch.n_nodes
        out: list[NasBench101Arch] = []
        seen: set[NasBench101Arch] = set()

        def consider(matrix: Matrix, ops: tuple[str, ...]) -> None:
            try:
                cand = NasBench101Arch(matrix, ops)
            except ArchKeyError:
                return
            canon = cand.canonical()
            if canon != own and canon not in seen:
                seen.add(canon)
                out.append(cand)

        rows = [list(r) for r in arch.matrix]
        for i in range(n):
            for j in range(i + 1, n):
                rows[i][j] ^= 1
                consider(tuple(map(tuple, rows)), arch.ops)
                rows[i][j] ^= 1
        for v in range(1, n - 1):
            for op in INTERMEDIATE_OPS:
                if op != arch.ops[v]:
                    consider(arch.matrix, arch.ops[:v] + (op,) + arch.ops[v + 1 :])
        return out

    def num_classes(self, dataset: str) -> int:
        """Classes of ``dataset`` (NB101 was trained on CIFAR-10 only)."""
        if dataset not in _NUM_CLASSES:
            raise InvalidInputError(
                f"NAS-Bench-101 has no dataset {dataset!r}; known: {list(_NUM_CLASSES)}"
            )
        return _NUM_CLASSES[dataset]

    def input_shape(self, dataset: str = "cifar10") -> tuple[int, ...]:
        """``(3, 32, 32)``, one CIFAR-10 image; any other dataset raises InvalidInputError."""
        self.num_classes(dataset)
        return (3, 32, 32)

    def build_network(self, arch: NasBench101Arch, dataset: str = "cifar10") -> nn.Module:
        """The NB101 network (stem of 128 channels, 3x3 cells) for ``arch``, fresh init."""
        return NasBench101Network(arch, num_classes=self.num_classes(dataset))

    def complexity(self, arch: NasBench101Arch, dataset: str = "cifar10") -> tuple[float, float]:
        """(params_M, flops_M) as stored in Suite-Zero, see :func:`complexity`."""
        return complexity(arch, dataset)
