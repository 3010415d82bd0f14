"""``params``: trainable parameters in millions.

A cost measure used as a baseline proxy by Abdelfattah et al., "Zero-Cost Proxies
for Lightweight NAS", ICLR 2021, and stored by NAS-Bench-Suite-Zero (Krishnakumar
et al., NeurIPS 2022) in millions. Spaces with a ``complexity(arch, dataset)``
method (the benchmark's own counting convention) are asked; otherwise the built
network's parameters are counted.
"""

from __future__ import annotations

from naspred.proxies.engine import ProxyContext, register
from naspred.spaces.complexity import count_params


@register("params", paper="Abdelfattah et al., ICLR 2021 (baseline); Suite-Zero convention")
def params(ctx: ProxyContext) -> float:
    """Trainable parameters / 1e6 (raw: more parameters, higher score)."""
    counts = ctx.space_complexity()
    if counts is not None:
        return float(counts[0])
    return count_params(ctx.net) / 1e6
