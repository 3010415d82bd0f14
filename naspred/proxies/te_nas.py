"""``tenas_ntk``, ``tenas_lr`` and ``tenas``: the two indicators of TE-NAS.

Chen, Gong and Wang, "Neural Architecture Search on ImageNet in Four GPU Hours:
A Theoretically Inspired Perspective", ICLR 2021 (arXiv:2102.11535). Read against
the authors' code, github:VITA-Group/TENAS at commit 9df78ff
(``lib/procedures/ntk.py``, ``lib/procedures/linear_region_counter.py``,
``prune_tenas.py``, ``prune_launch.py``).

``tenas_ntk`` -- the condition number of the empirical NTK. The network is in
train mode (BatchNorm on batch statistics); for every image ``i`` of the batch the
gradient of the sum of its logits with respect to every parameter whose name
contains ``weight`` (conv, BatchNorm and linear weights, no biases) is taken
through the *batched* graph (the authors back-propagate ``logit[i]`` with a ones
vector, so BatchNorm couples the images), ``Theta = G G^T`` and
``kappa = lambda_max / lambda_min``. Lower ``kappa`` = better trainability, so the
score is ``-log(kappa)``. The authors map a NaN ``kappa`` to 1e5 and do not guard a
non-positive ``lambda_min``; here ``kappa`` is capped at :data:`NTK_COND_CAP` =
1e12 (float64's resolution of the kernel) and a rank-deficient or zero kernel
(a cell whose every path crosses ``none``) gets the cap: it scores lowest. Their
NB201 run uses a batch of 72 CIFAR images; here the engine's shared batch.
Their network is the pruning super-net with ``C = 3``, ``N = 1``; here the
space's own network (NB201: ``C = 16``, ``N = 5``), built once by the engine.

``tenas_lr`` -- the number of linear regions. The authors' setup is followed:
a *thin* network (``C = 1``, one cell, no stem: the cell on a 1-channel input,
then BatchNorm + ReLU; ``model_config_thin``) in train mode, fed
``sample_batch = 3`` batches of 1,000 inputs, each a random 3x3 crop (no padding)
of one randomly chosen colour channel of a normalised training image
(``Linear_Region_Collector(input_size=(1000, 1, 3, 3), sample_batch=3)``). Each
input's activation pattern is the sign of every ReLU output (4-d inputs only),
concatenated; the score is the number of distinct patterns among the 3,000
inputs. Higher = more expressive. The crops are drawn, with the seed of the run,
from the images of the shared batch (the authors draw them from the training
loader). The thin network's weights are drawn from the run's seed.

Initialisation. ``prune_launch.py`` passes ``--init kaiming_normal``, but
``init_model`` only knows ``kaiming_norm_fanin`` / ``kaiming_norm_fanout``, so
``'kaiming_normal_fanout'`` / ``'kaiming_normal_fanin'`` re-initialise nothing:
the published runs used PyTorch's default initialisation, as the engine's network
here. Their ``repeat = 3`` averages relative changes between super-nets while
pruning; scoring one arch here is one evaluation at the run's seed.

Per-arch ports differ here. AZ-NAS's (Lee & Ham, CVPR 2024; github:cvlab-yonsei/AZ-NAS
``NB201/ZeroShotProxy/compute_te_nas_score.py``, the code behind VKDNW's Table 1 TE-NAS
row) counts regions on the full network over one batch of 64 Gaussian-noise images, and
gets 64 distinct patterns for every NB201 arch. Its TE-NAS therefore ranks by the NTK
alone. The thin-network probe of the TE-NAS authors is kept here
(``tables/proxies/lc1000/README.md``, "TE-NAS gap").

``tenas`` -- the paper's combination over a population of archs: each arch's
rank by ``kappa`` (ascending) plus its rank by linear regions (descending), dense
ranks with ties shared as the authors' code ranks them; the lower the sum, the
better. Registered as ``-(rank_ntk + rank_lr)``, so higher = better; an arch for
which either indicator is NaN scores NaN.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from naspred.errors import InvalidInputError
from naspred.proxies.engine import ProxyContext, register

_PAPER = "Chen, Gong & Wang, ICLR 2021 (TE-NAS)"

#: Condition numbers are capped here; a singular kernel gets the cap.
NTK_COND_CAP = 1e12

#: The linear-region input setup of the authors: batches x inputs, channels, crop.
LR_BATCHES, LR_BATCH_SIZE, LR_CROP = 3, 1000, 3


# ---- NTK condition number -----------------------------------------------------------


def ntk_gradients(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``(B, P)``: per image ``i``, d(sum of logits of ``i``)/d(weights), through the
    batched graph in train mode (the rows of the empirical NTK's factor)."""
    net.train()
    weights = [p for name, p in net.named_parameters() if "weight" in name and p.requires_grad]
    logits = net(x)
    n = logits.shape[0]
    # grad_outputs[i] selects image i's logits, all classes with weight 1
    eye = torch.eye(n, dtype=logits.dtype, device=logits.device)
    selectors = eye[:, :, None].expand(n, n, logits.shape[1])
    try:
        grads = torch.autograd.grad(
            logits, weights, grad_outputs=selectors, is_grads_batched=True, allow_unused=True
        )
        rows = [g.reshape(n, -1) for g in grads if g is not None]
    except RuntimeError:  # an op without a batching rule: one backward per image
        rows_per_image = []
        for i in range(n):
            gi = torch.autograd.grad(
                logits[i].sum(), weights, retain_graph=i < n - 1, allow_unused=True
            )
            rows_per_image.append(torch.cat([g.reshape(-1) for g in gi if g is not None]))
        return torch.stack(rows_per_image).detach()
    return torch.cat(rows, dim=1).detach()


def ntk_condition(grads: torch.Tensor) -> float:
    """``lambda_max / lambda_min`` of ``G G^T`` (float64), capped at :data:`NTK_COND_CAP`."""
    g = grads.double()
    eig = torch.linalg.eigvalsh(g @ g.T)
    lo, hi = float(eig[0]), float(eig[-1])
    if not hi > 0 or not lo > 0 or not math.isfinite(hi / lo):
        return NTK_COND_CAP
    return min(hi / lo, NTK_COND_CAP)


@register("tenas_ntk", needs=("data",), paper=_PAPER)
def tenas_ntk(ctx: ProxyContext) -> float:
    """``-log`` of the NTK condition number on the shared batch."""
    return -math.log(ntk_condition(ntk_gradients(ctx.fresh_copy(), ctx.x)))


# ---- linear regions -----------------------------------------------------------------


class ThinNetwork(nn.Module):
    """TE-NAS's thin network for counting regions: one cell at ``channels`` channels
    on a ``channels``-plane input (no stem), then BatchNorm + ReLU."""

    def __init__(self, cell: nn.Module, channels: int = 1) -> None:
        super().__init__()
        self.cell = cell
        self.lastact = nn.Sequential(nn.BatchNorm2d(channels), nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The post-activation feature map of ``x``."""
        return self.lastact(self.cell(x))


def thin_network(ctx: ProxyContext) -> nn.Module:
    """The arch's one-channel cell in a :class:`ThinNetwork`, weights from the run's seed."""
    from naspred.spaces.nasbench201 import NasBench201Arch, NasBench201Cell

    if not isinstance(ctx.arch, NasBench201Arch):
        raise InvalidInputError(
            f"tenas_lr builds TE-NAS's thin NB201 cell; {type(ctx.arch).__name__} has none"
        )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(ctx.seed))
        net = ThinNetwork(NasBench201Cell(ctx.arch, 1), 1)
    return net.to(ctx.device).train()


def region_inputs(images: torch.Tensor, seed: int) -> list[torch.Tensor]:
    """:data:`LR_BATCHES` batches of :data:`LR_BATCH_SIZE` one-channel
    :data:`LR_CROP` x :data:`LR_CROP` crops of ``images`` ``(n, c, h, w)``: image,
    channel and crop position drawn from ``seed``."""
    n, c, h, w = images.shape
    gen = torch.Generator(device="cpu").manual_seed(int(seed))
    total = LR_BATCHES * LR_BATCH_SIZE
    idx = torch.randint(n, (total,), generator=gen)
    ch = torch.randint(c, (total,), generator=gen)
    top = torch.randint(h - LR_CROP + 1, (total,), generator=gen)
    left = torch.randint(w - LR_CROP + 1, (total,), generator=gen)
    offs = torch.arange(LR_CROP)
    rows = (top[:, None] + offs)[:, :, None].expand(total, LR_CROP, LR_CROP)
    cols = (left[:, None] + offs)[:, None, :].expand(total, LR_CROP, LR_CROP)
    src = images.detach().cpu()
    crops = src[idx[:, None, None], ch[:, None, None], rows, cols].unsqueeze(1)
    return list(crops.to(images.device).split(LR_BATCH_SIZE))


def count_regions(net: nn.Module, batches: list[torch.Tensor]) -> int:
    """Distinct ReLU sign patterns of ``net`` over every input of ``batches`` (each
    batch one train-mode forward)."""
    feats: list[torch.Tensor] = []

    def keep(_m: nn.Module, inputs: tuple[torch.Tensor, ...], out: torch.Tensor) -> None:
        if inputs[0].dim() == 4:
            feats.append((out.detach().flatten(1) > 0).to(torch.uint8))

    hooks = [m.register_forward_hook(keep) for m in net.modules() if isinstance(m, nn.ReLU)]
    patterns = []
    try:
        with torch.no_grad():
            for x in batches:
                feats.clear()
                net(x)
                if feats:
                    patterns.append(torch.cat(feats, dim=1))
    finally:
        for h in hooks:
            h.remove()
    if not patterns:
        raise InvalidInputError("the network has no nn.ReLU on a feature map")
    return int(torch.unique(torch.cat(patterns), dim=0).shape[0])


@register("tenas_lr", needs=("data",), paper=_PAPER)
def tenas_lr(ctx: ProxyContext) -> float:
    """Distinct activation patterns of the thin network over 3,000 3x3 crops."""
    return float(count_regions(thin_network(ctx), region_inputs(ctx.x, ctx.seed)))


# ---- the rank combination -----------------------------------------------------------


def dense_rank(values: np.ndarray, descending: bool = False) -> np.ndarray:
    """0-based dense ranks (equal values share a rank, the next rank follows on);
    NaN stays NaN."""
    values = np.asarray(values, dtype=float)
    out = np.full(values.shape, np.nan)
    finite = np.isfinite(values)
    key = -values[finite] if descending else values[finite]
    _, inverse = np.unique(key, return_inverse=True)
    out[finite] = inverse
    return out


@register("tenas", paper=_PAPER, population=True, depends=("tenas_ntk", "tenas_lr"))
def te_nas(scores: dict[str, np.ndarray]) -> np.ndarray:
    """``-(rank by kappa ascending + rank by regions descending)``."""
    # tenas_ntk is -log(kappa): kappa ascending is tenas_ntk descending
    ntk = dense_rank(scores["tenas_ntk"], descending=True)
    lr = dense_rank(scores["tenas_lr"], descending=True)
    return -(ntk + lr)
