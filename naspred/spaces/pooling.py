"""Average pooling that averages over the window's valid part only, computed fast.

NB201's and DARTS's ``avg_pool_3x3`` is ``nn.AvgPool2d(3, stride, 1,
count_include_pad=False)``: at the border it divides by the number of in-image
elements, not by 9. On the CPU PyTorch's pooling kernel runs that forward and
backward 4-6x slower than a depthwise convolution of the same size (measured on
NB201's three stage shapes, 1 thread; see ``perf/proxies.py``), and pooling-heavy
cells spend most of a proxy's time there. :class:`ValidAvgPool2d` gives the same
result as a depthwise convolution with a kernel of ones (the window's sum)
divided by a map of how many elements each window holds. The two differ from
PyTorch's kernel only in the order of the float additions (a few ulp).

It stays an :class:`torch.nn.AvgPool2d` (same arguments, same ``repr``, same
``state_dict``: the kernel of ones is built per call, not stored), so FLOP counting,
module hooks and code that looks for pooling layers see it as before.
"""

from __future__ import annotations

from functools import lru_cache

import torch
import torch.nn.functional as F
from torch import nn


@lru_cache(maxsize=64)
def _window_counts(
    size: tuple[int, int],
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
    dtype: torch.dtype,
    device: torch.device,
) -> torch.Tensor:
    """``(1, 1, H', W')``: how many in-image elements each pooling window covers."""
    ones = torch.ones((1, 1, *size), dtype=dtype, device=device)
    return F.conv2d(ones, torch.ones((1, 1, *kernel), dtype=dtype, device=device),
                    stride=stride, padding=padding)  # fmt: skip


def _pair(value: int | tuple[int, ...]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


class ValidAvgPool2d(nn.AvgPool2d):
    """``nn.AvgPool2d(kernel_size, stride, padding, count_include_pad=False)``, computed as
    a depthwise box-sum convolution divided by the window counts.

    Args:
        kernel_size: the window's size.
        stride: the window's step (default: ``kernel_size``, as in ``nn.AvgPool2d``).
        padding: implicit zero padding on each side; padded elements are not counted.
    """

    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
    ) -> None:
        super().__init__(kernel_size, stride=stride, padding=padding, count_include_pad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The valid-window average of ``x`` ``(B, C, H, W)``."""
        if x.dim() != 4 or self.ceil_mode:
            return super().forward(x)
        kernel, stride, padding = _pair(self.kernel_size), _pair(self.stride), _pair(self.padding)
        channels = x.shape[1]
        # a constant kernel: autograd needs no gradient for it, only for x
        box = torch.ones((channels, 1, *kernel), dtype=x.dtype, device=x.device)
        total = F.conv2d(x, box, stride=stride, padding=padding, groups=channels)
        counts = _window_counts(tuple(x.shape[-2:]), kernel, stride, padding, x.dtype, x.device)
        return total / counts
