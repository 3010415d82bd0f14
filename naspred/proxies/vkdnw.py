"""``vkdnw``: entropy of the Fisher-information spectrum.

Tybl and Neumann, "Training-free Neural Architecture Search through Variance of
Knowledge of Deep Network Weights", CVPR 2025 (arXiv:2502.04975). Read against
the authors' code, github:ondratybl/VKDNW at commit 6901b65
(``NB201/ZeroShotProxy/compute_vkdnw_score.py``; the NB201 driver notebook
``tss_general.ipynb`` the README names is not in the repository, so the
defaults of ``compute_nas_score`` are taken).

On a copy of the network re-initialised Kaiming-normal (fan-in, ReLU gain;
biases 0, BatchNorm affine 1/0 -- ``init_method='kaiming_norm_fanin'``) and put in
eval mode (BatchNorm on its fresh running statistics, so the images are
independent), the Fisher information of the softmax classifier is estimated on a
subset of :data:`VKDNW_PARAMS` = 128 weights: the first element of each of the
first 128 parameter tensors in module order (``params_grad_len=128``, one index
per tensor). Per image ``n``, ``J_n`` is the Jacobian of the logits with respect
to those weights and ``L_n`` the closed-form Cholesky factor of the covariance
``diag(p) - p p^T`` of the smoothed softmax ``p = 0.95 softmax + 0.05 / C``; as in
the authors' code the Fisher is ``F = mean_n (L_n J_n)^T (L_n J_n)``. With
``lambda`` its eigenvalues, ``q`` their deciles 0.1 .. 0.9 (linear interpolation)
and ``t = q / (sum |q| + 1e-10)``,

    VKDNW = -sum t log(t + 1e-10).

Higher = the eigenvalues are more even = the weights are estimated with more
uniform uncertainty = predicted better.

Input. The images are Gaussian noise, not the run's minibatch: the authors'
NB201 driver hands a data loader only to the proxies listed in its
``real_input_metrics`` (zico, snip, grasp, te_nas, gradsign; notebook
``NB201/tss_supernet(gradsign).ipynb`` of the same repository) and every other
scorer, VKDNW included, draws ``torch.randn(batch, 3, H, W)``. The noise has the
shape of the run's batch (or ``DEFAULT_BATCH`` images of the space's input shape
in a data-free run) and is drawn from the run's seed. On 200 seeded archs of
``nasbench201/cifar10-lc`` this choice matters: Spearman with NB201 CIFAR-10
validation accuracy 0.54 on noise against 0.11 on CIFAR-10 images
(``tables/proxies/tenas_vkdnw.md``).

``vkdnw_dim`` is the reference's ``vkdnw_dim``, the paper's size term: the number
of parameter tensors of the network (``len(list(model.named_parameters()))``), a
count of its trainable layers. ``vkdnw_sgl`` is the paper's ``VKDNW_single``,
``vkdnw_dim + vkdnw``: on NB201 a step of the count (one convolution on a cell
edge adds 45 tensors) is far larger than the entropy's range ``[0, log 9]``, so
archs are ordered by their number of layers and then by VKDNW. The paper's
``VKDNW_agg`` (a rank aggregation with other proxies) is not implemented.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, jacrev, vmap

from naspred.proxies.engine import ProxyContext, register

#: Parameter tensors whose first element enters the Fisher (``params_grad_len``).
VKDNW_PARAMS = 128

#: Smoothing of the softmax before its covariance is factored (the authors' alpha).
SOFTMAX_SMOOTHING = 0.05


def kaiming_fanin_init(net: nn.Module) -> nn.Module:
    """Kaiming-normal fan-in weights, zero biases, BatchNorm affine 1/0 (in place)."""
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)) and m.affine:
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
    return net


def softmax_cholesky(logits: torch.Tensor, alpha: float = SOFTMAX_SMOOTHING) -> torch.Tensor:
    """``(B, C, C)`` lower-triangular ``L`` with ``L L^T = diag(p) - p p^T`` for the
    smoothed softmax ``p`` of each row of ``logits``."""
    c = logits.shape[1]
    p = torch.softmax(logits, dim=1) * (1 - alpha) + alpha / c
    q = 1 - torch.cumsum(p, dim=1)  # q_k = 1 - sum_{j<=k} p_j
    q[:, -1] = 0
    q_prev = torch.cat([torch.ones_like(q[:, :1]), q[:, :-1]], dim=1)
    d = torch.sqrt(p * q / q_prev)
    # below the diagonal -p_j / q_k, ones on it, zeros above; columns scaled by d_k
    below = -p[:, :, None] / q[:, None, :]
    below = torch.nan_to_num(below, neginf=0.0, posinf=0.0)
    strict_lower = torch.tril(torch.ones(c, c, dtype=logits.dtype, device=logits.device), -1)
    eye = torch.eye(c, dtype=logits.dtype, device=logits.device)
    lower = below * strict_lower + eye
    return lower * d[:, None, :]


def logit_jacobian(
    net: nn.Module, x: torch.Tensor, n_params: int = VKDNW_PARAMS
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(J, logits)``: per image, d(logits)/d(first element of each of the first
    ``n_params`` parameter tensors), ``(B, C, P)``, in ``net``'s current mode."""
    base = {k: v.detach() for k, v in net.named_parameters()}
    buffers = {k: v.detach() for k, v in net.named_buffers()}
    names = list(base)[:n_params]
    firsts = tuple(base[k].reshape(-1)[0] for k in names)

    def logits_of(scalars: tuple[torch.Tensor, ...], image: torch.Tensor) -> torch.Tensor:
        params = dict(base)
        for k, s in zip(names, scalars, strict=True):
            flat = base[k].reshape(-1)
            params[k] = torch.cat([s.reshape(1), flat[1:]]).reshape(base[k].shape)
        return functional_call(net, (params, buffers), (image.unsqueeze(0),)).squeeze(0)

    jac = vmap(jacrev(logits_of), in_dims=(None, 0))(firsts, x)
    with torch.no_grad():
        logits = net(x)
    return torch.stack(jac, dim=-1).detach(), logits.detach()


def vkdnw_entropy(eigenvalues: torch.Tensor) -> float:
    """Entropy of the normalised deciles 0.1 .. 0.9 of ``eigenvalues``."""
    lam = eigenvalues.double()
    levels = torch.arange(1, 10, dtype=lam.dtype, device=lam.device) / 10
    q = torch.quantile(lam, levels)
    t = q / (q.abs().sum() + 1e-10)
    return float(-(t * torch.log(t + 1e-10)).sum())


def vkdnw_score(net: nn.Module, x: torch.Tensor, n_params: int = VKDNW_PARAMS) -> float:
    """VKDNW of ``net`` (used as given: initialise it first) on the images ``x``."""
    net.eval()
    jac, logits = logit_jacobian(net, x, n_params)
    lj = softmax_cholesky(logits.double()) @ jac.double()
    fisher = (lj.transpose(1, 2) @ lj).mean(0)
    # symmetric positive semi-definite: its singular values are its eigenvalues
    return vkdnw_entropy(torch.linalg.svdvals(fisher))


#: Noise images in a data-free run (the engine's default batch size).
DEFAULT_BATCH = 32

_PAPER = "Tybl & Neumann, CVPR 2025"


def noise_input(ctx: ProxyContext) -> torch.Tensor:
    """Gaussian images of the run batch's shape (or ``DEFAULT_BATCH`` images of the
    space's input shape), drawn from the run's seed."""
    shape = (
        tuple(ctx.x.shape)
        if ctx.x is not None
        else (
            DEFAULT_BATCH,
            *ctx.space.input_shape(ctx.dataset),
        )
    )
    gen = torch.Generator(device="cpu").manual_seed(int(ctx.seed))
    return torch.randn(shape, generator=gen).to(ctx.device)


@register("vkdnw", paper=_PAPER)
def vkdnw(ctx: ProxyContext) -> float:
    """VKDNW on seeded Gaussian images, Kaiming fan-in weights drawn from the run's seed."""
    net = ctx.fresh_copy()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(ctx.seed))
        kaiming_fanin_init(net)
    return vkdnw_score(net, noise_input(ctx))


@register("vkdnw_dim", paper=_PAPER)
def vkdnw_dim(ctx: ProxyContext) -> float:
    """The number of parameter tensors of the network (VKDNW's size term)."""
    return float(len(list(ctx.net.parameters())))


@register("vkdnw_sgl", paper=_PAPER, population=True, depends=("vkdnw_dim", "vkdnw"))
def vkdnw_single(scores: dict[str, np.ndarray]) -> np.ndarray:
    """The paper's ``VKDNW_single``: the layer count plus the entropy, per arch."""
    return np.asarray(scores["vkdnw_dim"], dtype=float) + np.asarray(scores["vkdnw"], dtype=float)
