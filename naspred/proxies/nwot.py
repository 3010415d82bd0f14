"""``nwot``: neural architecture search without training (the ReLU-code kernel).

Mellor et al., "Neural Architecture Search without Training", ICML 2021 (v2 of
arXiv:2006.04647): each image of a minibatch gets a binary code, whether each
ReLU input unit is positive; ``K[i, j]`` counts the units on which images ``i``
and ``j`` agree (``c c^T + (1 - c)(1 - c)^T``, summed over every ReLU); the
score is ``log |det K|``. Higher: the network separates the images better.
"""

from __future__ import annotations

import torch

from naspred.errors import InvalidInputError
from naspred.proxies.engine import ProxyContext, register


@register("nwot", needs=("relu_codes",), paper="Mellor et al., ICML 2021")
def nwot(ctx: ProxyContext) -> float:
    """``slogdet(K)`` of the summed ReLU-agreement kernel."""
    if ctx.relu_kernel is None:
        raise InvalidInputError("the network has no nn.ReLU module to read codes from")
    return float(torch.linalg.slogdet(ctx.relu_kernel)[1])
