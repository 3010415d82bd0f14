"""``gradsign``: GradSign, the agreement of per-sample gradient signs at initialisation.

Zhang and Jia, "GradSign: Model Performance Inference with Theoretical Insights",
ICLR 2022 (arXiv:2110.08616), Algorithm 1. Read against the authors' code,
github:cmu-catalyst/GradSign at commit 26412be
(``zero-cost-nas-code/foresight/pruners/measures/grad_conflict.py``, the measure of
their Spearman experiments, run by ``zero-cost-nas-code/nasbench2_pred.py``), and
the NB201 copy in github:ondratybl/VKDNW (``NB201/ZeroShotProxy/compute_gradsign_score.py``).

Definition. For every image ``i`` of a batch of ``n`` labelled images, the gradient
``g_i`` of its own cross-entropy loss with respect to every weight element ``k`` of
every ``nn.Conv2d`` and ``nn.Linear`` layer (weights only: no biases, no BatchNorm
parameters), at the initial weights. The score is

    sum over k of | sum over i of sign(g_i[k]) |

(NaN terms left out, as ``np.nansum``): the more the images agree on the direction
in which each weight should move, the higher. Higher = better, as in the paper.
An element that no image's loss reaches has ``g_i[k] = 0`` and adds 0, so a cell
whose every path crosses ``none`` scores 0: the lowest possible score.

Setup, as the authors' NB201 run does it:

* each image goes through the network *alone*, in train mode: the authors loop
  over the batch with one forward/backward per image, so BatchNorm normalises each
  image by its own per-channel statistics. Here the same per-image gradients come
  from ``torch.func.vmap`` of ``torch.func.grad`` over a ``functional_call`` of
  one image at a time (tested equal to that loop), on a copy of the network whose
  BatchNorm layers keep no running statistics (they would only be written, never
  read, in train mode);
* batch :data:`PAPER_BATCH_SIZE` = 128 (``nasbench2_pred.py --batch_size``, the
  ``201_results_batch_128`` the paper's numbers were read from), one batch of the
  training set (``--dataload random --dataload_info 1``); here a batch of the run's
  image pool drawn with the run's seed;
* PyTorch's default initialisation (``--init_w_type none --init_b_type none``): the
  network as the engine builds it from the run's seed, unchanged.

The authors' other copies (``naswot-code/gradsign.py`` for their Kendall-tau
experiments, and the VKDNW/AZ-NAS NB201 copy) take ``np.nanmean`` instead of
``np.nansum``; the two rank archs differently, since the number of weights differs
between archs (on the 200 archs below the mean ranks them against accuracy,
Spearman -0.54). The sum follows Algorithm 1 and the measure of the Spearman table.

Published. NB201 CIFAR-10: Spearman 0.765 with the test accuracy (200 epochs,
``cifar10-valid`` training) over all 15,625 NB201 archs, one batch of 128 augmented
CIFAR-10 training images, seed 42 (0.793 on CIFAR-100, 0.783 on ImageNet16-120), as
Tybl & Neumann, CVPR 2025 (VKDNW), Table 1 quote it from the GradSign paper (not
rerun there). Here, on the 200 archs of ``tables/proxies/az_nas/keys.txt``, the
CIFAR-10 sample's batch of 128 (seed 0): Spearman 0.761, Kendall 0.563 with NB201's
CIFAR-10 validation accuracy (the count of conv/linear weights alone: 0.764 / 0.587).
"""

from __future__ import annotations

import copy
import math

import torch
from torch import nn
from torch.func import functional_call, grad, replace_all_batch_norm_modules_, vmap
from torch.nn import functional as F

from naspred.errors import InvalidInputError
from naspred.proxies.engine import ProxyContext, register

_PAPER = "Zhang & Jia, ICLR 2022 (GradSign)"

#: Labelled images per arch, as the authors' NB201 run takes them.
PAPER_BATCH_SIZE = 128

#: Images whose per-sample gradients are held in memory at once.
CHUNK_SIZE = 32


def sign_weights(net: nn.Module) -> dict[str, torch.Tensor]:
    """The weights GradSign reads, by parameter name: every conv and linear layer's
    ``weight``, in module order."""
    out = {}
    for name, module in net.named_modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            out[f"{name}.weight" if name else "weight"] = module.weight
    if not out:
        raise InvalidInputError(
            f"GradSign reads the weights of conv and linear layers; "
            f"{type(net).__name__} has no nn.Conv2d or nn.Linear"
        )
    return out


def _per_image_model(net: nn.Module) -> nn.Module:
    """A train-mode copy of ``net`` whose BatchNorm keeps no running statistics, so
    that it can run one image at a time under ``vmap`` (each image normalised by its
    own statistics, as a forward of that image alone in train mode)."""
    clone = copy.deepcopy(net).train()
    replace_all_batch_norm_modules_(clone)
    return clone


def per_sample_grads(
    net: nn.Module, x: torch.Tensor, y: torch.Tensor, chunk_size: int = CHUNK_SIZE
) -> dict[str, torch.Tensor]:
    """Per image ``i``, d(cross-entropy of image ``i`` alone)/d(weight), for the weights
    of :func:`sign_weights`; each ``(n, *weight.shape)``. ``net`` is left untouched.

    Args:
        net: the network at its initial weights.
        x: ``(n, ...)`` images.
        y: ``(n,)`` integer labels.
        chunk_size: images per ``vmap`` call (bounds memory: the gradients of a chunk
            are as large as ``chunk_size`` copies of the weights).
    """
    grads: dict[str, list[torch.Tensor]] = {}
    for chunk in _chunk_grads(net, x, y, chunk_size):
        for name, g in chunk.items():
            grads.setdefault(name, []).append(g)
    return {name: torch.cat(parts) for name, parts in grads.items()}


def _chunk_grads(net: nn.Module, x: torch.Tensor, y: torch.Tensor, chunk_size: int):
    if x.shape[0] != y.shape[0] or x.shape[0] == 0:
        raise InvalidInputError(
            f"GradSign needs as many labels as images, at least one; got {x.shape[0]} "
            f"images and {y.shape[0]} labels"
        )
    if chunk_size < 1:
        raise InvalidInputError(f"chunk_size must be at least 1, got {chunk_size}")
    model = _per_image_model(net)
    weights = {k: w.detach() for k, w in sign_weights(model).items()}
    rest = {k: p.detach() for k, p in model.named_parameters() if k not in weights}
    buffers = {k: b.detach() for k, b in model.named_buffers()}

    def loss(w: dict[str, torch.Tensor], xi: torch.Tensor, yi: torch.Tensor) -> torch.Tensor:
        logits = functional_call(model, ({**rest, **w}, buffers), (xi.unsqueeze(0),))
        return F.cross_entropy(logits, yi.unsqueeze(0))

    per_image = vmap(grad(loss), in_dims=(None, 0, 0))
    for start in range(0, x.shape[0], chunk_size):
        stop = start + chunk_size
        yield per_image(weights, x[start:stop], y[start:stop])


def gradsign_score(
    net: nn.Module, x: torch.Tensor, y: torch.Tensor, chunk_size: int = CHUNK_SIZE
) -> float:
    """``sum_k |sum_i sign(g_i[k])|`` (NaN terms left out) over the conv and linear
    weight elements ``k`` and the images ``i`` of ``(x, y)``; ``net`` is left
    untouched.

    Args:
        net: the network at its initial weights (scored in train mode, one image at
            a time).
        x: ``(n, ...)`` images.
        y: ``(n,)`` integer labels.
        chunk_size: images per ``vmap`` call (memory only; the score is the same).
    """
    totals: dict[str, torch.Tensor] = {}
    for chunk in _chunk_grads(net, x, y, chunk_size):
        for name, g in chunk.items():
            # signs sum exactly in float32 (integers far below 2**24)
            s = torch.sign(g).sum(0)
            totals[name] = s if name not in totals else totals[name] + s
    return math.fsum(float(torch.nansum(t.abs()).item()) for t in totals.values())


@register("gradsign", needs=("data",), paper=_PAPER, batch_size=PAPER_BATCH_SIZE)
def gradsign(ctx: ProxyContext) -> float:
    """GradSign on :data:`PAPER_BATCH_SIZE` labelled images of the run's pool."""
    x, y = ctx.batch_of(PAPER_BATCH_SIZE)
    return gradsign_score(ctx.fresh_copy(), x.to(ctx.device), y.to(ctx.device))
