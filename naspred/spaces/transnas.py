"""TransNAS-Bench-101: the cell-level (micro) and macro-level search spaces.

Duan et al., "TransNAS-Bench-101: Improving Transferability and Generalizability
of Cross-Task Neural Architecture Search", CVPR 2021
(https://github.com/yawen-d/TransNASBench).

Both spaces share one ResNet-like encoder skeleton: a stem that divides the
resolution by 4 and lifts 3 channels to 64, then a stack of *layers* (the paper's
modules), each two blocks deep, whose first block may double the channels and/or
halve the resolution. Seven Taskonomy tasks put their own decoder on top.

- **micro**: the skeleton is fixed to ``41414`` (five layers) and every block is
  the same searched cell, a 4-node DAG with 6 edges like NAS-Bench-201.
- **macro**: every block is a ResNet basic block and the searched part is the
  skeleton itself, 4 to 6 layer codes.

Keys and op semantics
---------------------
Suite-Zero keys are the digits of the benchmark's own arch strings in the same
order: micro ``"(a, b, c, d, e, f)"`` is ``"64-41414-a_bc_def"`` and macro
``"(4, 4, 2, 1, 3)"`` is ``"64-44213-basic"``. The micro edge order is therefore
the benchmark's, grouped by target node: (0→1), (0→2), (1→2), (0→3), (1→3),
(2→3) with node 0 the cell input and node 3 its output, and the digit meanings
are the benchmark's: **0 none, 1 skip, 2 conv1x1, 3 conv3x3** (README of the
benchmark repository). NASLib (and so the Suite-Zero README) names the indices
``Identity, Zero, Conv3x3, Conv1x1`` but passes the digits to the benchmark
unchanged, so the stored accuracies belong to the benchmark's meaning. The
records confirm it: the 169 keys whose cell has no input→output path once digit
0 is read as ``none`` all share one accuracy (chance level on jigsaw), which no
other reading gives.

Macro codes: 1 normal, 2 channel x2, 3 stride 2, 4 channel x2 and stride 2. The
benchmark holds every sequence of 4 to 6 codes with 1 to 4 stride-2 layers and 1
to 3 channel-doubling layers: 3,256 architectures (checked against the records).
"""

from __future__ import annotations

import ast
import itertools
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

import numpy as np
import torch
from torch import nn

from naspred.errors import ArchKeyError, InvalidInputError, UnknownNameError
from naspred.spaces.base import Arch, LabelledDAG, SearchSpace

# --------------------------------------------------------------------------- tasks

#: The seven tasks (Suite-Zero calls them datasets), in the benchmark API's order.
TASKS: tuple[str, ...] = (
    "class_scene",
    "class_object",
    "room_layout",
    "jigsaw",
    "segmentsemantic",
    "normal",
    "autoencoder",
)
#: Output size per task as the benchmark trained it (paper Table 1 and the
#: benchmark's task configs): logits for the classifications, 9 layout numbers,
#: output channels for the dense tasks (3-channel images, 17 segmentation classes).
NUM_OUTPUTS: dict[str, int] = {
    "class_object": 75,
    "class_scene": 47,
    "jigsaw": 1000,
    "room_layout": 9,
    "autoencoder": 3,
    "normal": 3,
    "segmentsemantic": 17,
}
#: NASLib's head sizes (100 object and 63 scene classes), which the Suite-Zero
#: proxy scores were computed with; pick them with ``head_sizes="naslib"``.
NUM_OUTPUTS_NASLIB: dict[str, int] = {**NUM_OUTPUTS, "class_object": 100, "class_scene": 63}
#: Training resolution: 256x256 images; jigsaw feeds 9 tiles of 64x64 per image.
IMAGE_SIZE = 256
JIGSAW_TILES = 9
JIGSAW_TILE_SIZE = 64
DENSE_TASKS = frozenset({"autoencoder", "normal", "segmentsemantic"})
BASE_CHANNELS = 64

# --------------------------------------------------------------------------- micro

#: Micro ops by the digit of the benchmark string.
MICRO_OPS: tuple[str, ...] = ("none", "skip_connect", "conv_1x1", "conv_3x3")
#: Cell edges (source, target) in key/string order.
MICRO_EDGES: tuple[tuple[int, int], ...] = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
#: The fixed skeleton of the micro space.
MICRO_SKELETON: tuple[int, ...] = (4, 1, 4, 1, 4)
_NONE = 0
#: The shapes of the benchmark's own strings (checked in full by ``from_bench_string``).
_MICRO_STRING = re.compile(r"[0-9]+-[0-9]+-[0-9_]+")
_MACRO_STRING = re.compile(r"[0-9]+-[0-9]+-basic")
_MICRO_KEY_FORMAT = '"(3, 2, 3, 0, 2, 3)": six op digits 0-3 (0 none, 1 skip, 2 conv1x1, 3 conv3x3)'


def _parse_int_tuple(key: str, what: str, expected: str) -> tuple[int, ...]:
    try:
        value = ast.literal_eval(key)
    except (ValueError, SyntaxError, TypeError) as err:
        raise ArchKeyError(f"bad {what} key {key!r}; expected {expected}") from err
    if not isinstance(value, tuple) or not all(type(v) is int for v in value):
        raise ArchKeyError(f"bad {what} key {key!r}; expected {expected}")
    return value


@dataclass(frozen=True)
class TransNasMicroArch(Arch):
    """A cell of the micro space: one op digit per edge, in :data:`MICRO_EDGES` order."""

    ops: tuple[int, ...]
    space: ClassVar[str] = "transbench101_micro"
    key_format: ClassVar[str] = _MICRO_KEY_FORMAT
    native_forms: ClassVar[str] = "the benchmark's own string, e.g. '64-41414-3_33_333'"

    def __post_init__(self) -> None:
        if len(self.ops) != 6 or any(type(o) is not int or not 0 <= o < 4 for o in self.ops):
            raise ArchKeyError(
                f"micro cell {self.ops!r} is not valid; expected {_MICRO_KEY_FORMAT}"
            )

    @classmethod
    def _parse_key(cls, key: str) -> TransNasMicroArch:
        """TransNAS micro key: the six op digits in edge order, e.g. ``"(3, 2, 3, 0, 2, 3)"``."""
        return cls(_parse_int_tuple(key, "TransNAS-Bench-101 micro", _MICRO_KEY_FORMAT))

    def to_key(self) -> str:
        """The key ``str(ops)``, e.g. ``"(3, 2, 3, 0, 2, 3)"``."""
        return str(tuple(self.ops))

    @classmethod
    def from_bench_string(cls, s: str) -> TransNasMicroArch:
        """Parse the benchmark's own string, e.g. ``"64-41414-3_33_333"``."""
        parts = s.split("-")
        groups = parts[2].split("_") if len(parts) == 3 else []
        if (
            len(parts) != 3
            or parts[:2] != [str(BASE_CHANNELS), "".join(map(str, MICRO_SKELETON))]
            or [len(g) for g in groups] != [1, 2, 3]
            or not all(c in "0123" for c in "".join(groups))
        ):
            raise ArchKeyError(
                f"bad TransNAS-Bench-101 micro string {s!r}; expected '64-41414-a_bc_def'"
            )
        return cls(tuple(int(c) for c in "".join(groups)))

    def to_bench_string(self) -> str:
        """The benchmark's own string, e.g. ``"64-41414-3_33_333"``."""
        d = "".join(map(str, self.ops))
        return f"{BASE_CHANNELS}-{''.join(map(str, MICRO_SKELETON))}-{d[0]}_{d[1:3]}_{d[3:]}"

    @classmethod
    def _from_native(cls, value: object) -> TransNasMicroArch | None:
        if isinstance(value, str) and _MICRO_STRING.fullmatch(value):
            return cls.from_bench_string(value)
        return None

    def live_edges(self) -> tuple[bool, ...]:
        """Which edges can affect the cell output: not ``none``, fed from the input
        through non-``none`` edges, and feeding the output through non-``none`` edges."""
        fwd = {0}
        for j in (1, 2, 3):
            if any(
                op != _NONE and i in fwd
                for (i, t), op in zip(MICRO_EDGES, self.ops, strict=True)
                if t == j
            ):
                fwd.add(j)
        bwd = {3}
        for i in (2, 1, 0):
            if any(
                op != _NONE and j in bwd
                for (s, j), op in zip(MICRO_EDGES, self.ops, strict=True)
                if s == i
            ):
                bwd.add(i)
        return tuple(
            op != _NONE and i in fwd and j in bwd
            for (i, j), op in zip(MICRO_EDGES, self.ops, strict=True)
        )

    def canonical(self) -> TransNasMicroArch:
        """The representative of the cell's isomorphism class.

        Rule (as for NAS-Bench-201): 1. every edge that is not live (see
        :meth:`live_edges`) becomes ``none``; so a cell with no input→output path
        becomes all-``none``. Edges out of a node that only ``none`` edges feed count
        as dead although a conv there outputs its BatchNorm shift, a learned
        constant, not exactly zero. 2. When edge (1→2) is ``none`` the two
        intermediate nodes are interchangeable, so of the cell and its copy with
        nodes 1 and 2 swapped the lexicographically smaller digit tuple is kept.
        """
        ops = tuple(
            op if live else _NONE for op, live in zip(self.ops, self.live_edges(), strict=True)
        )
        if ops[2] == _NONE:
            # edges (0,1)<->(0,2) and (1,3)<->(2,3) trade places
            swapped = (ops[1], ops[0], ops[2], ops[3], ops[5], ops[4])
            ops = min(ops, swapped)
        return TransNasMicroArch(ops)

    def to_dag(self) -> LabelledDAG:
        """Edges become nodes: input, the 6 edge ops in key order, output."""
        n = len(MICRO_EDGES) + 2
        adj = np.zeros((n, n), dtype=np.int8)
        for a, (i, j) in enumerate(MICRO_EDGES):
            if i == 0:
                adj[0, a + 1] = 1
            if j == 3:
                adj[a + 1, n - 1] = 1
            for b, (i2, _j2) in enumerate(MICRO_EDGES):
                if i2 == j:  # edge a ends where edge b starts
                    adj[a + 1, b + 1] = 1
        labels = ("input", *(MICRO_OPS[o] for o in self.ops), "output")
        return LabelledDAG(adj, labels, ("input", *MICRO_OPS, "output"))


# --------------------------------------------------------------------------- macro

#: Macro block codes 1..4 (index 0 unused).
MACRO_BLOCKS: tuple[str, ...] = ("normal", "channel_x2", "stride_2", "channel_x2_stride_2")
MACRO_MIN_LAYERS, MACRO_MAX_LAYERS = 4, 6
MACRO_STRIDE_RANGE = (1, 4)  # number of codes 3 or 4
MACRO_DOUBLE_RANGE = (1, 3)  # number of codes 2 or 4
_MACRO_KEY_FORMAT = (
    '"(4, 4, 2, 1, 3)": 4-6 block codes 1-4 (1 normal, 2 channel x2, 3 stride 2, 4 both) '
    "with 1-4 stride-2 and 1-3 channel-x2 blocks"
)


def _is_stride2(code: int) -> bool:
    return code in (3, 4)


def _is_double(code: int) -> bool:
    return code in (2, 4)


def macro_is_valid(codes: tuple[int, ...]) -> bool:
    """Whether ``codes`` is an architecture of the benchmark's macro space."""
    if not MACRO_MIN_LAYERS <= len(codes) <= MACRO_MAX_LAYERS:
        return False
    if any(type(c) is not int or not 1 <= c <= 4 for c in codes):
        return False
    n_stride = sum(map(_is_stride2, codes))
    n_double = sum(map(_is_double, codes))
    return (
        MACRO_STRIDE_RANGE[0] <= n_stride <= MACRO_STRIDE_RANGE[1]
        and MACRO_DOUBLE_RANGE[0] <= n_double <= MACRO_DOUBLE_RANGE[1]
    )


@dataclass(frozen=True)
class TransNasMacroArch(Arch):
    """A skeleton of the macro space: one block code per layer (each layer two basic blocks)."""

    codes: tuple[int, ...]
    space: ClassVar[str] = "transbench101_macro"
    key_format: ClassVar[str] = _MACRO_KEY_FORMAT
    native_forms: ClassVar[str] = "the benchmark's own string, e.g. '64-1234-basic'"

    def __post_init__(self) -> None:
        if not macro_is_valid(self.codes):
            raise ArchKeyError(
                f"macro skeleton {self.codes!r} is not valid; expected {_MACRO_KEY_FORMAT}"
            )

    @classmethod
    def _parse_key(cls, key: str) -> TransNasMacroArch:
        """TransNAS macro key: 4 to 6 block codes, e.g. ``"(4, 4, 2, 1, 3)"``."""
        return cls(_parse_int_tuple(key, "TransNAS-Bench-101 macro", _MACRO_KEY_FORMAT))

    def to_key(self) -> str:
        """The key ``str(codes)``, e.g. ``"(4, 4, 2, 1, 3)"``."""
        return str(tuple(self.codes))

    @classmethod
    def from_bench_string(cls, s: str) -> TransNasMacroArch:
        """Parse the benchmark's own string, e.g. ``"64-1234-basic"``."""
        parts = s.split("-")
        if (
            len(parts) != 3
            or parts[0] != str(BASE_CHANNELS)
            or parts[2] != "basic"
            or not parts[1].isdigit()
        ):
            raise ArchKeyError(
                f"bad TransNAS-Bench-101 macro string {s!r}; expected '64-1234-basic'"
            )
        return cls(tuple(int(c) for c in parts[1]))

    def to_bench_string(self) -> str:
        """The benchmark's own string, e.g. ``"64-1234-basic"``."""
        return f"{BASE_CHANNELS}-{''.join(map(str, self.codes))}-basic"

    @classmethod
    def _from_native(cls, value: object) -> TransNasMacroArch | None:
        if isinstance(value, str) and _MACRO_STRING.fullmatch(value):
            return cls.from_bench_string(value)
        return None

    def canonical(self) -> TransNasMacroArch:
        """Every code sequence is a different network, so each arch is its own class."""
        return self

    def to_dag(self) -> LabelledDAG:
        """A chain: input, one node per layer labelled by its block code, output."""
        n = len(self.codes) + 2
        adj = np.eye(n, k=1, dtype=np.int8)
        labels = ("input", *(MACRO_BLOCKS[c - 1] for c in self.codes), "output")
        return LabelledDAG(
            adj, labels, ("input", *MACRO_BLOCKS, "output"), max_nodes=MACRO_MAX_LAYERS + 2
        )


# --------------------------------------------------------------------------- network parts


class _ReLUConvBN(nn.Sequential):
    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, padding: int) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, bias=False),
            nn.BatchNorm2d(c_out),
        )


class _Zero(nn.Module):
    """The ``none`` op: zeros of the edge's output shape."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.c_in, self.c_out, self.stride = c_in, c_out, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.c_in == self.c_out:
            # multiply rather than allocate so the graph stays connected, as in the benchmark
            return x[:, :, :: self.stride, :: self.stride].mul(0.0)
        b, _, h, w = x.shape
        s = self.stride
        return x.new_zeros(b, self.c_out, (h + s - 1) // s, (w + s - 1) // s)


class _FactorizedReduce(nn.Module):
    """Skip connection that changes shape: two offset strided 1x1 convs, concatenated."""

    def __init__(self, c_in: int, c_out: int, stride: int, affine: bool = True) -> None:
        super().__init__()
        self.relu = nn.ReLU(inplace=False)
        self.conv_a = nn.Conv2d(c_in, c_out // 2, 1, stride=stride, bias=False)
        self.conv_b = nn.Conv2d(c_in, c_out - c_out // 2, 1, stride=stride, bias=False)
        self.bn = nn.BatchNorm2d(c_out, affine=affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        shifted = nn.functional.pad(x, (0, 1, 0, 1))[:, :, 1:, 1:]
        return self.bn(torch.cat([self.conv_a(x), self.conv_b(shifted)], dim=1))


def _micro_op(
    digit: int, c_in: int, c_out: int, stride: int, reduce_affine: bool = True
) -> nn.Module:
    name = MICRO_OPS[digit]
    if name == "none":
        return _Zero(c_in, c_out, stride)
    if name == "skip_connect":
        if stride == 1 and c_in == c_out:
            return nn.Identity()
        return _FactorizedReduce(c_in, c_out, stride, affine=reduce_affine)
    if name == "conv_1x1":
        return _ReLUConvBN(c_in, c_out, 1, stride, 0)
    return _ReLUConvBN(c_in, c_out, 3, stride, 1)


class MicroCell(nn.Module):
    """The searched cell: node j sums its incoming edges; edges out of the input
    carry the block's stride and channel change; the output is node 3."""

    def __init__(
        self,
        ops: tuple[int, ...],
        c_in: int,
        c_out: int,
        stride: int,
        reduce_affine: bool = True,
    ) -> None:
        super().__init__()
        self.edges = nn.ModuleList(
            _micro_op(op, c_in, c_out, stride, reduce_affine)
            if i == 0
            else _micro_op(op, c_out, c_out, 1, reduce_affine)
            for (i, _j), op in zip(MICRO_EDGES, ops, strict=True)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the cell to ``x``: node ``j`` sums its incoming edge ops; returns node 3."""
        nodes = [x]
        for j in (1, 2, 3):
            nodes.append(
                sum(self.edges[a](nodes[i]) for a, (i, t) in enumerate(MICRO_EDGES) if t == j)
            )
        return nodes[3]


class BasicBlock(nn.Module):
    """ResNet basic block in ReLU-conv-BN order, with a 1x1 projection when the shape changes."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.conv_a = _ReLUConvBN(c_in, c_out, 3, stride, 1)
        self.conv_b = _ReLUConvBN(c_out, c_out, 3, 1, 1)
        self.downsample = (
            nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out)
            )
            if stride != 1 or c_in != c_out
            else None
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` (projected when the shape changes) plus its two ReLU-conv-BN."""
        residual = x if self.downsample is None else self.downsample(x)
        return residual + self.conv_b(self.conv_a(x))


class TransNasEncoder(nn.Module):
    """The shared backbone: stem (resolution / 4, 64 channels), then one two-block
    layer per skeleton code. ``cell_ops`` picks micro cells; ``None`` basic blocks."""

    def __init__(
        self,
        skeleton: tuple[int, ...],
        cell_ops: tuple[int, ...] | None = None,
        base_channels: int = BASE_CHANNELS,
    ) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, base_channels // 2, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(base_channels // 2),
            _ReLUConvBN(base_channels // 2, base_channels, 3, 2, 1),
        )
        layers = []
        c = base_channels
        self.n_stride2 = 0
        for code in skeleton:
            c_out = c * 2 if _is_double(code) else c
            stride = 2 if _is_stride2(code) else 1
            self.n_stride2 += stride == 2
            blocks = []
            for b in range(2):
                c_b, s_b = (c, stride) if b == 0 else (c_out, 1)
                if cell_ops is None:
                    blocks.append(BasicBlock(c_b, c_out, s_b))
                else:
                    blocks.append(MicroCell(cell_ops, c_b, c_out, s_b))
            layers.append(nn.Sequential(*blocks))
            c = c_out
        self.layers = nn.Sequential(*layers)
        self.out_channels = c
        # kaiming init of the backbone only, as the benchmark does; heads keep torch defaults
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Feature map of images ``x``: ``out_channels`` channels at a quarter of the input
        resolution, halved again by every stride-2 layer."""
        return self.layers(self.stem(x))


def _conv_layer(c_in: int, c_out: int, *, up: bool, act: nn.Module | None, norm: bool) -> nn.Module:
    """Decoder layer: 3x3 conv (or stride-2 transposed conv doubling the size), BN, activation."""
    conv: nn.Module
    if up:
        conv = nn.ConvTranspose2d(c_in, c_out, 3, stride=2, padding=1, output_padding=1)
    else:
        conv = nn.Conv2d(c_in, c_out, 3, stride=1, padding=1)
    parts = [conv]
    if norm:
        parts.append(nn.BatchNorm2d(c_out))
    if act is not None:
        parts.append(act)
    return nn.Sequential(*parts)


def _leaky() -> nn.Module:
    return nn.LeakyReLU(0.2, inplace=False)


class GenerativeDecoder(nn.Sequential):
    """Image decoder of the autoencoder and surface-normal tasks: 14 conv layers
    from 1024 down to 16 channels, ``num_upsample`` of them transposed (x2), tanh out."""

    def __init__(self, c_in: int, num_upsample: int, c_out: int = 3) -> None:
        if not 2 <= num_upsample <= 6:
            raise InvalidInputError(f"num_upsample must be 2..6, got {num_upsample}")
        n = num_upsample
        # (in, out, upsample?) for layers 1..13; the optional ones upsample only for deep encoders
        spec = [
            (c_in, 1024, False),
            (1024, 1024, False),
            (1024, 512, n == 6),
            (512, 512, False),
            (512, 256, n >= 5),
            (256, 128, False),
            (128, 64, n >= 4),
            (64, 64, False),
            (64, 32, n >= 3),
            (32, 32, False),
            (32, 16, True),
            (16, 32, False),
            (32, 16, True),
        ]
        layers = [_conv_layer(a, b, up=u, act=_leaky(), norm=True) for a, b, u in spec]
        layers.append(_conv_layer(16, c_out, up=False, act=nn.Tanh(), norm=False))
        super().__init__(*layers)


class SegmentationDecoder(nn.Sequential):
    """Dense-label decoder of semantic segmentation: a 1024-channel conv, 6 - n
    halving convs, n - 1 halving transposed convs, one more transposed conv, logits."""

    def __init__(self, c_in: int, num_upsample: int, c_out: int) -> None:
        if not 2 <= num_upsample <= 6:
            raise InvalidInputError(f"num_upsample must be 2..6, got {num_upsample}")
        layers = [_conv_layer(c_in, 1024, up=False, act=_leaky(), norm=True)]
        c = 1024
        for _ in range(6 - num_upsample):
            layers.append(_conv_layer(c, c // 2, up=False, act=_leaky(), norm=True))
            c //= 2
        for _ in range(num_upsample - 1):
            layers.append(_conv_layer(c, c // 2, up=True, act=_leaky(), norm=True))
            c //= 2
        layers.append(_conv_layer(c, c, up=True, act=_leaky(), norm=True))
        layers.append(_conv_layer(c, c_out, up=False, act=None, norm=False))
        super().__init__(*layers)


class TransNasNetwork(nn.Module):
    """Encoder plus the task's decoder.

    Inputs: ``(B, 3, H, W)`` images, or for ``jigsaw`` ``(B, 9, 3, h, w)`` tiles.
    Outputs: ``(B, num_outputs)`` for classification / regression / jigsaw and
    ``(B, C, H, W)`` for the dense tasks (the encoder is fully convolutional, so
    smaller inputs than the paper's 256x256 work and give smaller outputs).
    For the GAN-trained tasks (autoencoder, normal) this is the generator; the
    discriminator is a training device, not part of the searched network.
    """

    def __init__(self, encoder: TransNasEncoder, task: str, num_outputs: int) -> None:
        super().__init__()
        self.task = task
        self.encoder = encoder
        c = encoder.out_channels
        # the decoder climbs back from the encoder's output to full size: the stem's 2
        # halvings plus one per stride-2 layer (256 -> 64 >> k at the paper's input)
        num_upsample = 2 + encoder.n_stride2
        self.decoder: nn.Module
        if task == "jigsaw":
            self.decoder = nn.Linear(c * JIGSAW_TILES, num_outputs)
        elif task in ("autoencoder", "normal"):
            self.decoder = GenerativeDecoder(c, num_upsample, num_outputs)
        elif task == "segmentsemantic":
            self.decoder = SegmentationDecoder(c, num_upsample, num_outputs)
        else:
            self.decoder = nn.Linear(c, num_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The task's output for a batch.

        Args:
            x: Images ``(B, 3, H, W)``, or for ``jigsaw`` tiles ``(B, 9, 3, h, w)``; each
                tile goes through the encoder on its own and the pooled features are
                concatenated.

        Returns:
            ``(B, num_outputs)``, or ``(B, num_outputs, H, W)`` for the dense tasks.

        Raises:
            InvalidInputError: If the task is ``jigsaw`` and ``x`` is not 5-D.
        """
        if self.task == "jigsaw":
            if x.dim() != 5:
                raise InvalidInputError(
                    f"jigsaw expects (B, 9, 3, h, w) tiles, got {tuple(x.shape)}"
                )
            # one encoder call per tile (siamese), as the benchmark does: folding the tiles
            # into the batch would change BatchNorm's training-mode statistics
            feats = [self.encoder(x[:, t]).mean(dim=(2, 3)) for t in range(x.shape[1])]
            return self.decoder(torch.cat(feats, dim=1))
        feat = self.encoder(x)
        if self.task in DENSE_TASKS:
            return self.decoder(feat)
        return self.decoder(feat.mean(dim=(2, 3)))


# --------------------------------------------------------------------------- NAS-Bench-360

#: NAS-Bench-Suite-Zero's NAS-Bench-360 datasets for the micro space: input
#: ``(channels, height, width)`` and classes (as for NB201 and DARTS on them).
NB360_DATASETS: dict[str, tuple[tuple[int, int, int], int]] = {
    "svhn": ((3, 32, 32), 10),
    "scifar100": ((3, 60, 60), 100),
    "ninapro": ((1, 16, 52), 18),
}
#: NASLib's op index (``Identity, Zero, ReLUConvBN3x3, ReLUConvBN1x1``) -> our digit.
_NASLIB_TO_DIGIT = (1, 0, 3, 2)
#: Our edge order picks NASLib's ``EDGE_LIST`` positions (NASLib lists (0->3) before (1->2)).
_NASLIB_EDGE_OF = (0, 1, 3, 2, 4, 5)
#: The NASLib network's modules: (reduces, cells); channels double where it reduces.
NB360_MODULES: tuple[bool, ...] = (True, False, True)


def from_naslib_indices(indices: tuple[int, ...]) -> TransNasMicroArch:
    """The cell that NASLib's op indices describe in NASLib's own micro graph
    (``naslib/search_spaces/transbench101``: ``OP_NAMES`` Identity, Zero,
    ReLUConvBN3x3, ReLUConvBN1x1 and ``EDGE_LIST`` (1,2), (1,3), (1,4), (2,3), (2,4),
    (3,4)), in our digits and edge order. Suite-Zero's NAS-Bench-360 records of the
    micro space were scored and trained on that graph, so their keys mean this; its
    Taskonomy records were not (NASLib hands their digits to the benchmark's own model
    builder unchanged, see the module docstring)."""
    if len(indices) != 6 or any(type(o) is not int or not 0 <= o < 4 for o in indices):
        raise ArchKeyError(f"NASLib micro op indices {indices!r}: expected six ints 0-3")
    return TransNasMicroArch(tuple(_NASLIB_TO_DIGIT[indices[e]] for e in _NASLIB_EDGE_OF))


def to_naslib_indices(arch: TransNasMicroArch) -> tuple[int, ...]:
    """NASLib's op indices of ``arch`` (the inverse of :func:`from_naslib_indices`)."""
    ops = [0] * 6
    for ours, theirs in enumerate(_NASLIB_EDGE_OF):
        ops[theirs] = _NASLIB_TO_DIGIT.index(arch.ops[ours])
    return tuple(ops)


class TransNasNB360Network(nn.Module):
    """NASLib's micro network for the NAS-Bench-360 datasets.

    The network of ``TransBench101SearchSpaceMicro(create_graph=True,
    use_small_model=True)``, which NAS-Bench-Suite-Zero scored and trained:

    * stem: 3x3 conv (stride 1) to 64 channels, BatchNorm;
    * three modules of two cells: reducing, normal, reducing (64 -> 128 -> 128 -> 256
      channels); the first cell of a reducing module doubles the channels at stride 2
      on the edges out of its input (a skip there is a factorized reduction, with
      BatchNorm without affine parameters, as NASLib's ``FactorizedReduce(affine=False)``);
    * head: global average pool and a linear layer to the classes.

    PyTorch's default initialisation, as NASLib leaves it.

    Args:
        ops: the cell, in our digits and edge order (:func:`from_naslib_indices`).
        in_channels: input planes (3 for images, 1 for NinaPro).
        num_classes: logits.
        base_channels: the stem's output channels (NASLib: 64).
    """

    def __init__(
        self, ops: tuple[int, ...], in_channels: int, num_classes: int, base_channels: int = 64
    ) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, base_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(base_channels),
        )
        cells: list[nn.Module] = []
        c = base_channels
        for reduces in NB360_MODULES:
            for b in range(2):
                down = reduces and b == 0
                c_out = c * 2 if down else c
                cells.append(MicroCell(ops, c, c_out, 2 if down else 1, reduce_affine=False))
                c = c_out
        self.cells = nn.Sequential(*cells)
        self.classifier = nn.Linear(c, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, num_classes)`` of inputs ``(B, in_channels, H, W)``."""
        return self.classifier(self.cells(self.stem(x)).mean(dim=(2, 3)))


# --------------------------------------------------------------------------- spaces


class _TransNasSpace(SearchSpace):
    """What the two spaces share: tasks, input shapes, head sizes."""

    datasets: ClassVar[tuple[str, ...]] = TASKS

    def __init__(self, head_sizes: str = "benchmark") -> None:
        """``head_sizes``: ``"benchmark"`` (75 object / 47 scene classes, as trained
        for the benchmark) or ``"naslib"`` (100 / 63, as in NASLib and Suite-Zero)."""
        if head_sizes not in ("benchmark", "naslib"):
            raise InvalidInputError(
                f"head_sizes must be 'benchmark' or 'naslib', got {head_sizes!r}"
            )
        self.head_sizes = head_sizes

    def _check_task(self, dataset: str) -> None:
        if dataset not in self.datasets:
            raise UnknownNameError(
                f"unknown {self.name} task {dataset!r}; known: {', '.join(self.datasets)}"
            )

    def num_outputs(self, dataset: str) -> int:
        """Logits (classification, jigsaw), regression outputs (room_layout: 9) or
        output channels (dense tasks) of the task's network."""
        self._check_task(dataset)
        if dataset in NB360_DATASETS:
            return NB360_DATASETS[dataset][1]
        table = NUM_OUTPUTS if self.head_sizes == "benchmark" else NUM_OUTPUTS_NASLIB
        return table[dataset]

    def input_shape(self, dataset: str) -> tuple[int, ...]:
        """``(3, 256, 256)``; ``(9, 3, 64, 64)`` for jigsaw (tiles of one image); the
        dataset's own for the NAS-Bench-360 ones (:data:`NB360_DATASETS`)."""
        self._check_task(dataset)
        if dataset in NB360_DATASETS:
            return NB360_DATASETS[dataset][0]
        if dataset == "jigsaw":
            return (JIGSAW_TILES, 3, JIGSAW_TILE_SIZE, JIGSAW_TILE_SIZE)
        return (3, IMAGE_SIZE, IMAGE_SIZE)

    def output_shape(self, dataset: str) -> tuple[int, ...]:
        """Shape of one output at the paper's input resolution."""
        n = self.num_outputs(dataset)
        return (n, IMAGE_SIZE, IMAGE_SIZE) if dataset in DENSE_TASKS else (n,)


class TransNasMicroSpace(_TransNasSpace):
    """TransNAS-Bench-101 cell-level space: 4^6 = 4,096 cells in the fixed
    ``64-41414`` skeleton (Duan et al., CVPR 2021)."""

    name: ClassVar[str] = "transbench101_micro"
    arch_type: ClassVar[type[Arch]] = TransNasMicroArch
    op_names: ClassVar[tuple[str, ...]] = MICRO_OPS
    #: the Taskonomy tasks, and NAS-Bench-Suite-Zero's NAS-Bench-360 datasets
    datasets: ClassVar[tuple[str, ...]] = TASKS + tuple(NB360_DATASETS)

    @classmethod
    def record_key(cls, key: str, dataset: str, *, to_file: bool = False) -> str:
        """Suite-Zero's NAS-Bench-360 micro records are keyed by NASLib's op indices in
        NASLib's graph (:func:`from_naslib_indices`): translated here, both ways, so a
        key means one cell in naspred whatever the dataset. Taskonomy keys are kept."""
        if dataset not in NB360_DATASETS:
            return key
        if to_file:
            return str(to_naslib_indices(TransNasMicroArch.from_key(key)))
        return from_naslib_indices(
            _parse_int_tuple(key, "NASLib micro", _MICRO_KEY_FORMAT)
        ).to_key()

    def sample(self, rng: np.random.Generator) -> TransNasMicroArch:
        """A cell with each of the six edge digits drawn uniformly (so uniform over all 4,096)."""
        return TransNasMicroArch(tuple(int(o) for o in rng.integers(len(MICRO_OPS), size=6)))

    def neighbours(self, arch: Arch) -> list[Arch]:
        """The 18 cells that differ in one edge's op."""
        assert isinstance(arch, TransNasMicroArch)
        out: list[Arch] = []
        for e, op in enumerate(arch.ops):
            for new in range(len(MICRO_OPS)):
                if new != op:
                    out.append(TransNasMicroArch(arch.ops[:e] + (new,) + arch.ops[e + 1 :]))
        return out

    def all_archs(self) -> list[Arch]:
        """All 4,096 cells, in lexicographic order of their digit tuples."""
        return list(_all_micro())

    def build_network(self, arch: Arch, dataset: str) -> nn.Module:
        """The ``64-41414`` encoder with ``arch`` in every block, then the task's decoder;
        on a NAS-Bench-360 dataset, NASLib's network of that cell
        (:class:`TransNasNB360Network`)."""
        assert isinstance(arch, TransNasMicroArch)
        self._check_task(dataset)
        if dataset in NB360_DATASETS:
            (channels, _h, _w), classes = NB360_DATASETS[dataset]
            return TransNasNB360Network(arch.ops, channels, classes)
        encoder = TransNasEncoder(MICRO_SKELETON, cell_ops=arch.ops)
        return TransNasNetwork(encoder, dataset, self.num_outputs(dataset))


class TransNasMacroSpace(_TransNasSpace):
    """TransNAS-Bench-101 macro-level space: 3,256 skeletons of 4-6 residual
    layers (Duan et al., CVPR 2021)."""

    name: ClassVar[str] = "transbench101_macro"
    arch_type: ClassVar[type[Arch]] = TransNasMacroArch
    op_names: ClassVar[tuple[str, ...]] = MACRO_BLOCKS

    def sample(self, rng: np.random.Generator) -> TransNasMacroArch:
        """A skeleton drawn uniformly from the 3,256 valid ones."""
        archs = _all_macro()
        return archs[int(rng.integers(len(archs)))]

    def neighbours(self, arch: Arch) -> list[Arch]:
        """Valid skeletons one edit away: change one code, delete one layer or
        insert one layer (any code, any position); duplicates removed."""
        assert isinstance(arch, TransNasMacroArch)
        c = arch.codes
        cands: list[tuple[int, ...]] = []
        for i in range(len(c)):
            cands += [c[:i] + (k,) + c[i + 1 :] for k in range(1, 5) if k != c[i]]
            cands.append(c[:i] + c[i + 1 :])
        for i in range(len(c) + 1):
            cands += [c[:i] + (k,) + c[i:] for k in range(1, 5)]
        seen = {c}
        out: list[Arch] = []
        for cand in cands:
            if cand not in seen and macro_is_valid(cand):
                seen.add(cand)
                out.append(TransNasMacroArch(cand))
        return out

    def all_archs(self) -> list[Arch]:
        """All 3,256 valid skeletons, shortest first, each length in lexicographic order."""
        return list(_all_macro())

    def build_network(self, arch: Arch, dataset: str) -> TransNasNetwork:
        """The task's network: basic blocks in ``arch``'s skeleton, and the task's decoder."""
        assert isinstance(arch, TransNasMacroArch)
        self._check_task(dataset)
        encoder = TransNasEncoder(arch.codes, cell_ops=None)
        return TransNasNetwork(encoder, dataset, self.num_outputs(dataset))


@lru_cache(maxsize=1)
def _all_micro() -> tuple[TransNasMicroArch, ...]:
    return tuple(TransNasMicroArch(t) for t in itertools.product(range(4), repeat=6))


@lru_cache(maxsize=1)
def _all_macro() -> tuple[TransNasMacroArch, ...]:
    return tuple(
        TransNasMacroArch(t)
        for n in range(MACRO_MIN_LAYERS, MACRO_MAX_LAYERS + 1)
        for t in itertools.product(range(1, 5), repeat=n)
        if macro_is_valid(t)
    )
