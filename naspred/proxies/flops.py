"""``flops``: FLOPs for one input, in millions.

A cost measure used as a baseline proxy by Abdelfattah et al., "Zero-Cost Proxies
for Lightweight NAS", ICLR 2021, and stored by NAS-Bench-Suite-Zero (Krishnakumar
et al., NeurIPS 2022) in millions. Spaces with a ``complexity(arch, dataset)``
method reproduce the records' counting convention; otherwise conv/linear MACs of
the built network are counted with :func:`naspred.spaces.complexity.count_flops`.
"""

from __future__ import annotations

from naspred.proxies.engine import ProxyContext, register
from naspred.spaces.complexity import count_flops


@register("flops", paper="Abdelfattah et al., ICLR 2021 (baseline); Suite-Zero convention")
def flops(ctx: ProxyContext) -> float:
    """FLOPs of one forward pass for one input / 1e6 (raw)."""
    counts = ctx.space_complexity()
    if counts is not None:
        return float(counts[1])
    return count_flops(ctx.net, tuple(ctx.space.input_shape(ctx.dataset))) / 1e6
