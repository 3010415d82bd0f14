"""``zico``: inverse coefficient of variation of the gradients.

Li, Yang, Bhardwaj and Marculescu, "ZiCo: Zero-shot NAS via Inverse Coefficient
of Variation on Gradients", ICLR 2023 (arXiv:2301.11300), Eq. 9: for every
conv/linear layer ``l`` with weights ``theta_l``,

    ZiCo = sum_l log( sum_{w in theta_l} E[|dL/dw|] / sqrt(Var[dL/dw]) ),

where the mean and variance run over mini-batches ``(X, Y)`` of training data
and ``L`` is the cross-entropy of the network at initialisation (train mode,
BatchNorm on batch statistics). Higher = predicted better: a layer whose
gradients are large and agree across batches trains fast and generalises.

How we form the mini-batches. The authors' code evaluates the formula over the
mini-batches it is handed, one forward/backward each, with the *population*
standard deviation (``ddof = 0``) of the raw gradients and the mean of their
absolute values; weights whose gradient does not vary (std 0) are left out of
the inner sum, and a layer whose inner sum is 0 contributes nothing. Here the
one minibatch the engine shares (Suite-Zero's 32 CIFAR images by default) is
cut into :data:`ZICO_SPLITS` = 2 equal halves in order, each half its own
mini-batch: two batches of 16, two gradient samples per weight, as in the
paper's two-batch setting. :func:`zico_score` takes any number of splits.
The proxy works on a fresh copy of the network, so the shared pass of the other
proxies is untouched.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from naspred.errors import InvalidInputError
from naspred.proxies.engine import ProxyContext, prunable_layers, register

#: Mini-batches the shared batch is cut into (see the module docstring).
ZICO_SPLITS = 2


def layer_gradients(
    net: nn.Module, x: torch.Tensor, y: torch.Tensor, splits: int = ZICO_SPLITS
) -> list[torch.Tensor]:
    """Per conv/linear layer, a ``(splits, n_weights)`` float64 tensor: the gradient of
    the mean cross-entropy of each of ``splits`` consecutive chunks of ``(x, y)``
    (each chunk its own forward in train mode). Unused weights get zero gradients."""
    if splits < 2:
        raise InvalidInputError(f"ZiCo needs at least 2 mini-batches for a variance, got {splits}")
    if x.shape[0] < splits:
        raise InvalidInputError(f"a batch of {x.shape[0]} cannot be cut into {splits} mini-batches")
    net.train()
    weights = [m.weight for m in prunable_layers(net)]
    per_layer: list[list[torch.Tensor]] = [[] for _ in weights]
    for xs, ys in zip(torch.tensor_split(x, splits), torch.tensor_split(y, splits), strict=True):
        loss = F.cross_entropy(net(xs), ys)
        grads = torch.autograd.grad(loss, weights, allow_unused=True)
        for store, w, g in zip(per_layer, weights, grads, strict=True):
            g = torch.zeros_like(w) if g is None else g
            store.append(g.detach().flatten().double())
    return [torch.stack(g) for g in per_layer]


def zico_from_gradients(per_layer: list[torch.Tensor]) -> float:
    """``sum_l log sum_w mean|g| / std g`` over layers; each tensor is ``(samples, weights)``.

    Weights with zero standard deviation are left out; a layer with nothing left
    (or a zero sum) adds nothing, as in the authors' code.
    """
    total = 0.0
    for grads in per_layer:
        std = grads.std(dim=0, unbiased=False)
        keep = std > 0
        if not bool(keep.any()):
            continue
        ratio = float((grads.abs().mean(dim=0)[keep] / std[keep]).sum())
        if ratio > 0:
            total += math.log(ratio)
    return total


def zico_score(
    net: nn.Module, x: torch.Tensor, y: torch.Tensor, splits: int = ZICO_SPLITS
) -> float:
    """ZiCo of ``net`` on ``splits`` mini-batches cut from ``(x, y)``."""
    return zico_from_gradients(layer_gradients(net, x, y, splits))


@register("zico", needs=("data",), paper="Li et al., ICLR 2023 (arXiv:2301.11300)")
def zico(ctx: ProxyContext) -> float:
    """ZiCo over the two halves of the shared minibatch (see the module docstring)."""
    return zico_score(ctx.fresh_copy(), ctx.x, ctx.y, ZICO_SPLITS)
