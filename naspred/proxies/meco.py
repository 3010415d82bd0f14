"""``meco`` and ``meco_opt``: minimum eigenvalue of the feature-map correlation.

Jiang, Wang and Bie, "MeCo: Zero-Shot NAS with One Data and Single Forward Pass
via Minimum Eigenvalue of Correlation", NeurIPS 2023: one image ``X`` goes
forward through the network at initialisation; for each layer ``i`` its feature
map ``f_i(X)`` (``c_i`` channels) is viewed as ``c_i`` vectors of its spatial
values, ``P(f_i)`` is their ``c_i x c_i`` Pearson correlation matrix, and

    MeCo = sum_i lambda_min(P(f_i(X))).

Higher = predicted better: channels that are less correlated make the network
easier to train. Conventions, as in the authors' NAS-Bench-201 code: the
"layers" are *every* module of the network (containers included) whose output
is a tensor of at least two dimensions, in train mode (BatchNorm normalises over
the one image's positions); entries of ``P`` that are undefined because a
channel is constant (e.g. the ``none`` op's zeros) are set to 0; a non-finite
layer term is left out. The one image is the first of the shared minibatch,
so it follows the batch seed.

``meco_opt`` is the paper's cheaper variant: per layer, :data:`MECO_OPT_CHANNELS`
= 8 channels drawn at random (from the run's seed here), the term scaled by
``c_i / 8``; layers of at most 8 channels use all of them, unscaled.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from naspred.errors import InvalidInputError
from naspred.proxies.engine import ProxyContext, register

#: Channels ``meco_opt`` samples per layer (the paper's ``n = 8``).
MECO_OPT_CHANNELS = 8


def min_eig_correlation(features: torch.Tensor) -> float:
    """Smallest eigenvalue of the row correlation matrix of ``features`` ``(c, m)``,
    undefined entries (constant rows) set to 0."""
    corr = torch.corrcoef(features.double())
    corr = torch.nan_to_num(corr, nan=0.0, posinf=0.0, neginf=0.0)
    if corr.dim() == 0:  # a single channel: corrcoef returns a scalar
        corr = corr.reshape(1, 1)
    # symmetric by construction, so eigvalsh gives the real spectrum
    return float(torch.linalg.eigvalsh(corr)[0])


def meco_score(
    net: nn.Module,
    image: torch.Tensor,
    channels: int | None = None,
    rng: np.random.Generator | None = None,
) -> float:
    """MeCo of ``net`` on one ``image`` ``(1, C, H, W)`` (or a batch: only its first
    image is used). With ``channels``, each layer's term is computed on that many
    channels drawn by ``rng`` and scaled by ``c / channels`` (``meco_opt``)."""
    if channels is not None and rng is None:
        raise InvalidInputError("channel sampling needs a numpy Generator (rng)")
    terms: list[float] = []

    def record(_m: nn.Module, _inputs: tuple, out: object) -> None:
        # computed at once: a later in-place op (ReLU(inplace=True)) may overwrite `out`
        if not isinstance(out, torch.Tensor) or out.dim() < 2:
            return
        fea = out[0].detach()
        fea = fea.reshape(fea.shape[0], -1)
        c, positions = fea.shape
        if positions < 2:
            # one value per channel (logits, pooled features): every correlation is
            # undefined, the matrix all zeros, the term 0 -- skip it
            return
        if channels is not None and c > channels:
            rows = np.sort(rng.choice(c, size=channels, replace=False))
            terms.append(min_eig_correlation(fea[torch.as_tensor(rows)]) * c / channels)
        else:
            terms.append(min_eig_correlation(fea))

    net.train()
    hooks = [m.register_forward_hook(record) for m in net.modules()]
    try:
        with torch.no_grad():
            net(image[:1])
    finally:
        for h in hooks:
            h.remove()
    return float(sum(t for t in terms if math.isfinite(t)))


_PAPER = "Jiang et al., NeurIPS 2023"


@register("meco", needs=("data",), paper=_PAPER)
def meco(ctx: ProxyContext) -> float:
    """MeCo on the first image of the shared minibatch, every channel."""
    return meco_score(ctx.fresh_copy(), ctx.x)


@register("meco_opt", needs=("data",), paper=_PAPER)
def meco_opt(ctx: ProxyContext) -> float:
    """MeCo with 8 channels per layer drawn from the run's seed, rescaled."""
    rng = np.random.default_rng(int(ctx.seed))
    return meco_score(ctx.fresh_copy(), ctx.x, MECO_OPT_CHANNELS, rng)
