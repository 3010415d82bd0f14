"""``azn_expr``, ``azn_prog``, ``azn_train`` and ``az_nas``: AZ-NAS.

Lee and Ham, "AZ-NAS: Assembling Zero-Cost Proxies for Network Architecture
Search", CVPR 2024. Read against the authors' code, github:cvlab-yonsei/AZ-NAS at
commit 5e6683a (``NB201/ZeroShotProxy/compute_az_nas_score.py``,
``NB201/custom/tss_model.py``, ``NB201/tss_general.ipynb``).

Setup. A copy of the network is re-initialised Kaiming-normal (fan-in, ReLU gain;
biases 0, BatchNorm affine 1/0) from the run's seed and kept in train mode. The
input is Gaussian noise, not images: the authors' driver gives AZ-NAS no data
loader, and draws ``torch.randn(64, 3, 32, 32)`` (batch 64 from its config:
:data:`PAPER_BATCH_SIZE`); here the noise has the space's input shape for the
task's dataset and is drawn from the run's seed. The feature maps are the stem's
output and the output of every module of ``net.cells`` (NB201: 15 cells and 2
residual reduction blocks, 18 maps).

* ``azn_expr`` (expressivity): for each map, reshaped to ``(b*h*w, c)`` and
  centred, the entropy ``-sum p log(p + 1e-8)`` of its covariance eigenvalues
  normalised to sum 1; summed over maps.
* ``azn_prog`` (progressivity): the smallest increase of that entropy from one map
  to the next.
* ``azn_train`` (trainability): for each consecutive pair ``(f_in, f_out)``,
  Rademacher noise ``g_out`` at ``f_out`` is back-propagated to ``g_in`` at
  ``f_in`` (pixel-unshuffled when the resolution halves); with ``sigma`` the largest
  singular value of ``g_in^T g_out / (b*h*w)`` the pair scores
  ``-sigma - 1/(sigma + 1e-6) + 2`` (0 at the ideal ``sigma = 1``); the mean over
  pairs. A pair whose gradient passes unchanged scores ``-inf`` in the reference.
* complexity is FLOPs: the registered ``flops`` proxy.
* ``az_nas``: the paper's aggregation over a population of ``N`` archs,
  ``sum over the four of log(rank / N)``, with average ranks (scipy's
  ``rankdata``). Where the reference gets NaN or ``-inf`` for a component (a cell
  whose every path crosses ``none`` has all-zero maps) the engine records a
  failure; the aggregation ranks such an arch last on that component, as the
  reference's average ranks put ``-inf`` last.

All higher = better, as in the paper. The three per-arch components share one
forward and the backward passes of the pairs, computed once per arch.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy.stats import rankdata
from torch import nn

from naspred.errors import InvalidInputError
from naspred.proxies.engine import ProxyContext, register
from naspred.proxies.vkdnw import kaiming_fanin_init

_PAPER = "Lee & Ham, CVPR 2024 (AZ-NAS)"

#: Gaussian images per arch, as the authors' NB201 configuration draws them.
PAPER_BATCH_SIZE = 64

#: The per-arch components and the complexity proxy the aggregation combines.
COMPONENTS = ("azn_expr", "azn_prog", "azn_train", "flops")


def feature_maps(net: nn.Module, x: torch.Tensor) -> list[torch.Tensor]:
    """The stem's output and every ``net.cells`` module's output, in order."""
    if not (hasattr(net, "stem") and hasattr(net, "cells")):
        raise InvalidInputError(
            f"AZ-NAS reads the outputs of a network's stem and cells; "
            f"{type(net).__name__} has no 'stem' and 'cells' modules"
        )
    maps = [net.stem(x)]
    for cell in net.cells:
        maps.append(cell(maps[-1]))
    return maps


def spectral_entropy(feature: torch.Tensor) -> float:
    """Entropy of the normalised eigenvalues of the channel covariance of ``feature``
    ``(b, c, h, w)`` over its ``b*h*w`` positions."""
    b, c, h, w = feature.shape
    f = feature.detach().permute(0, 2, 3, 1).reshape(b * h * w, c)
    f = f - f.mean(dim=0, keepdim=True)
    s = torch.linalg.eigvalsh(f.T @ f / f.shape[0])
    p = s / s.sum()
    return float((-p * torch.log(p + 1e-8)).sum())


def pair_trainability(g_in: torch.Tensor, g_out: torch.Tensor) -> float:
    """``-sigma - 1/(sigma + 1e-6) + 2`` for the gradients at a pair's input and output."""
    if g_in.shape[2:] != g_out.shape[2:]:
        g_in = nn.functional.pixel_unshuffle(g_in, g_in.shape[2] // g_out.shape[2])
    bo, co, ho, wo = g_out.shape
    a = g_in.permute(0, 2, 3, 1).reshape(bo * ho * wo, -1)
    b = g_out.permute(0, 2, 3, 1).reshape(bo * ho * wo, co)
    sigma = float(torch.linalg.svdvals(a.T @ b / (bo * ho * wo)).max())
    return -sigma - 1 / (sigma + 1e-6) + 2


def _finite_or_neg_inf(value: float) -> float:
    return -math.inf if math.isnan(value) else value


def components(ctx: ProxyContext) -> dict[str, float]:
    """Expressivity, progressivity and trainability of ``ctx``'s arch, computed once
    per context (:meth:`ProxyContext.cached`)."""
    return ctx.cached("az_nas", lambda: _components(ctx))


def _components(ctx: ProxyContext) -> dict[str, float]:
    net = ctx.fresh_copy()
    gen = torch.Generator(device="cpu").manual_seed(int(ctx.seed))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(ctx.seed))
        kaiming_fanin_init(net)
    net.train()
    shape = (PAPER_BATCH_SIZE, *ctx.space.input_shape(ctx.dataset))
    x = torch.randn(shape, generator=gen).to(ctx.device)
    maps = feature_maps(net, x)
    entropies = np.array([spectral_entropy(m) for m in maps])
    pairs = []
    for i in reversed(range(1, len(maps))):
        f_in, f_out = maps[i - 1], maps[i]
        g_out = (torch.bernoulli(torch.full(f_out.shape, 0.5), generator=gen) - 0.5) * 2
        g_out = g_out.to(f_out.device)
        (g_in,) = torch.autograd.grad(f_out, f_in, grad_outputs=g_out, allow_unused=True)
        if g_in is None:  # the output does not depend on the input at all
            g_in = torch.zeros_like(f_in)
        if g_in.shape == g_out.shape and torch.equal(g_in, g_out):
            pairs.append(-math.inf)
        else:
            pairs.append(pair_trainability(g_in, g_out))
    with np.errstate(invalid="ignore"):
        return {
            "azn_expr": _finite_or_neg_inf(float(entropies.sum())),
            "azn_prog": _finite_or_neg_inf(float(np.min(np.diff(entropies)))),
            "azn_train": _finite_or_neg_inf(float(np.mean(pairs))),
        }


@register("azn_expr", paper=_PAPER)
def azn_expr(ctx: ProxyContext) -> float:
    """AZ-NAS expressivity: summed spectral entropy of the feature maps."""
    return components(ctx)["azn_expr"]


@register("azn_prog", paper=_PAPER)
def azn_prog(ctx: ProxyContext) -> float:
    """AZ-NAS progressivity: the smallest entropy increase between consecutive maps."""
    return components(ctx)["azn_prog"]


@register("azn_train", paper=_PAPER)
def azn_train(ctx: ProxyContext) -> float:
    """AZ-NAS trainability: mean closeness of the pairs' gradient scaling to 1."""
    return components(ctx)["azn_train"]


def log_rank_sum(scores: dict[str, np.ndarray]) -> np.ndarray:
    """``sum_k log(rank_k / N)`` over the components, average ranks, a NaN (failed)
    component value ranked below every finite one."""
    total = None
    for name in COMPONENTS:
        v = np.asarray(scores[name], dtype=float)
        ranks = rankdata(np.where(np.isnan(v), -np.inf, v))
        term = np.log(ranks / len(v))
        total = term if total is None else total + term
    return total


@register("az_nas", paper=_PAPER, population=True, depends=COMPONENTS)
def az_nas(scores: dict[str, np.ndarray]) -> np.ndarray:
    """The paper's non-linear rank aggregation of the four components."""
    return log_rank_sum(scores)
