"""``zen``: the Zen-score.

Lin et al., "Zen-NAS: A Zero-Shot NAS for High-Performance Image Recognition",
ICCV 2021, as NAS-Bench-Suite-Zero computes it: on a copy of the network with
conv/linear weights drawn from N(0, 1) (biases 0, BatchNorm affine 1/0), two
Gaussian inputs ``x`` and ``x + 0.01 e`` go through the network up to the global
average pooling in train mode; the score is
``log E_n ||f(x) - f(x + 0.01 e)||_1 + sum_BN log sqrt(mean running_var)``.
The random inputs and weights are drawn from the run's seed. The feature map
read is the input of the last ``AdaptiveAvgPool2d`` module.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from naspred.errors import InvalidInputError
from naspred.proxies.engine import ProxyContext, gaussian_weights_, register

_MIXUP = 1e-2


@register("zen", paper="Lin et al., ICCV 2021")
def zen(ctx: ProxyContext) -> float:
    """Zen-score (see the module docstring)."""
    net = ctx.fresh_copy()
    pools = [m for m in net.modules() if isinstance(m, nn.AdaptiveAvgPool2d)]
    if not pools:
        raise InvalidInputError("zen needs a global average pooling (nn.AdaptiveAvgPool2d) layer")
    shape = tuple(ctx.x.shape) if ctx.x is not None else (64, *ctx.space.input_shape(ctx.dataset))
    device = next(net.parameters()).device
    gen = torch.Generator(device="cpu").manual_seed(int(ctx.seed))
    # the inputs are drawn from the same generator after the weights, as before
    gaussian_weights_(net, gen, norms=(nn.BatchNorm2d, nn.BatchNorm1d))
    with torch.no_grad():
        x = torch.randn(shape, generator=gen).to(device)
        x2 = torch.randn(shape, generator=gen).to(device)
        features: list[torch.Tensor] = []
        hook = pools[-1].register_forward_pre_hook(lambda _m, inp: features.append(inp[0]))
        try:
            net(x)
            net(x + _MIXUP * x2)
        finally:
            hook.remove()
        diff = (features[0] - features[1]).abs().flatten(1).sum(1).mean()
        log_bn = 0.0
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d) and m.running_var is not None:
                log_bn += math.log(math.sqrt(float(m.running_var.mean())))
    if not float(diff) > 0:
        raise InvalidInputError("the features do not depend on the input: log(0) is undefined")
    return math.log(float(diff)) + log_bn
