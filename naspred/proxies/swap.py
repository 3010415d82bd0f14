"""``swap`` and ``swap_raw``: Sample-Wise Activation Patterns (SWAP-Score).

Peng, Song, Fayek, Ciesielski and Chang, "SWAP-NAS: Sample-Wise Activation
Patterns for Ultra-fast NAS", ICLR 2024 (arXiv:2403.04161). Read against the
authors' code, github:pym1024/SWAP at commit f6049f7 (``src/metrics/swap.py``,
``src/utils/utilities.py``, ``correlation.py``, ``src/datasets/utilities.py``).

Definition. A batch of ``B`` real images goes through the network once. Every
``nn.ReLU`` module whose input is 4-d (a feature map; the reference skips the
others) contributes its output units as *neurons*; a neuron's sample-wise pattern
is the binary vector ``sign(relu_output) = [output > 0]`` over the ``B`` images.
With the patterns of all neurons stacked as the rows of a ``neurons x B`` matrix,
``swap_raw`` is the number of distinct rows (the reference's
``torch.unique(A.T, dim=0)``). A ReLU module applied to a tensor another ReLU also
sees (NB201 gives every conv edge its own ReLU) adds rows that are duplicates, so
it changes nothing. With ``B`` images the score is at most ``min(neurons, 2^B)``:
with the paper's 16 images, 65,536, which conv-rich NB201 cells nearly reach
(on 200 sampled CIFAR-10 cells, 58 average above 60,000, the highest 64,972), so
among them the raw score ranks little and the size factor of ``swap`` ranks more.
Higher = more expressive = predicted better.

``swap`` is the regularised SWAP-Score of the paper,
``swap_raw * exp(-(P - mu)^2 / sigma)``, with ``P`` the number of the network's
parameters (every ``named_parameters`` entry whose name lacks ``auxiliary``) in
*thousands*, as the reference's ``count_parameters`` counts them; ``sigma``
divides the squared difference as written (it is not squared).

Setup, as the authors' driver ``correlation.py`` runs it. That driver scores
DARTS cells; the repository ships no NB201 driver, so its scorer, initialisation
and settings are applied here to NB201 as they are:

* the batch: ``--input_samples 16`` (:data:`PAPER_BATCH_SIZE`) training images,
  normalised with the dataset's mean/std; here drawn from the run's image pool
  with the run's seed (``ctx.batch_of``);
* initialisation: ``network_weight_gaussian_init`` -- conv and linear weights
  N(0, 1), their biases 0; BatchNorm2d / GroupNorm weight 1, bias 0. The network
  stays in train mode (BatchNorm on batch statistics; the driver never calls
  ``eval``). The draws come from the run's seed (the driver never seeds torch:
  ``reinit`` calls ``manual_seed`` only for a seed other than the one it was
  built with), drawn on the CPU and copied, so a device does not change them;
* ``--repeats 32`` (:data:`PAPER_REPEATS`): the network is re-initialised 32 times
  and the score is the mean over the 32 forwards on the same batch. Kept: on
  NB201 with 16 CIFAR-10 images one forward's count varies between
  initialisations by a coefficient of variation of 0.5% (conv-heavy cells) to 7%
  (a cell with one conv edge), which reorders archs whose means lie closer.

Regulariser constants. ``cal_regular_factor(model, mu, sigma)`` takes ``mu`` and
``sigma`` from its caller and the released code gives no values for NB201 (its
driver scores unregularised); the paper's NB201 values could not be read here.
:data:`MU` = 1500 and :data:`SIGMA` = 1.5e6 (thousands of parameters, and their
square) are our choice: the same curve as ``mu = sigma = 1.5`` with ``P`` in
millions, which peaks at 1.5M, next to NB201's largest networks (1.53M parameters
on CIFAR-10: every edge a 3x3 conv), and falls to 0.26 at its smallest (0.07M),
so that within NB201 the factor rises with size (the abstract: regularisation
raises the correlation in cell-based spaces). They were fixed before any
correlation was measured, and are arguments of :func:`regular_factor`.

Published figure. The paper's abstract: the regularised SWAP-Score reaches a
Spearman of 0.90 against NB201 CIFAR-100 validation accuracy (NWOT, second best,
0.80). Its NB201 CIFAR-10 figure, and the sample of cells and the accuracies its
table uses, could not be read from the copies of the paper available here, so
they are not restated.

A cell whose every path crosses ``none`` leaves every ReLU input zero: one
distinct (all-zero) pattern, ``swap_raw = 1``, the lowest possible score.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from naspred.errors import InvalidInputError
from naspred.proxies.engine import ProxyContext, gaussian_weights_, register

_PAPER = "Peng et al., ICLR 2024 (SWAP-NAS)"

#: Images per arch (the authors' ``--input_samples``).
PAPER_BATCH_SIZE = 16

#: Gaussian re-initialisations averaged per arch (the authors' ``--repeats``).
PAPER_REPEATS = 32

#: Centre of the regulariser, in thousands of parameters (see the module docstring).
MU = 1500.0

#: Width of the regulariser, in thousands of parameters squared.
SIGMA = 1.5e6

# bits packed per int64 word: 63 keeps every code non-negative
_WORD_BITS = 63


def gaussian_init(net: nn.Module, seed: int) -> nn.Module:
    """Re-initialise ``net`` in place as the authors do, from ``seed`` only: conv and
    linear weights N(0, 1) and biases 0, BatchNorm2d / GroupNorm weight 1 and bias 0.

    Args:
        net: the network; other modules keep their parameters.
        seed: seeds a CPU generator, so the draws do not depend on the device.
    """
    gen = torch.Generator(device="cpu").manual_seed(int(seed))
    return gaussian_weights_(net, gen, norms=(nn.BatchNorm2d, nn.GroupNorm))


def pattern_codes(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``(neurons, words)`` int64: every neuron's pattern ``[relu_output > 0]`` over
    the images of ``x``, packed 63 images to a word; one forward of ``net`` as it is.

    The neurons are the output units of every ``nn.ReLU`` module whose input is
    4-d. Equal rows are equal patterns.

    Args:
        net: the network (its mode and weights are left as they are).
        x: ``(B, C, H, W)`` images.
    """
    if x.dim() != 4 or x.shape[0] < 1:
        raise InvalidInputError(
            f"SWAP takes a batch of images (B, C, H, W) with B >= 1; got shape "
            f"{tuple(x.shape)}: pass images, e.g. BatchProvider.batch(16)"
        )
    b = x.shape[0]
    # image i sets bit i % 63 of word i // 63
    place = torch.ones(b, dtype=torch.int64, device=x.device) << (
        torch.arange(b, device=x.device) % _WORD_BITS
    )
    codes: list[torch.Tensor] = []

    def keep(m: nn.Module, inputs: tuple[torch.Tensor, ...], out: torch.Tensor) -> None:
        if inputs[0].dim() != 4:
            return
        bits = (out.detach().reshape(b, -1) > 0).to(torch.int64) * place[:, None]
        words = [bits[i : i + _WORD_BITS].sum(0) for i in range(0, b, _WORD_BITS)]
        codes.append(torch.stack(words, dim=1))

    relus = [m for m in net.modules() if isinstance(m, nn.ReLU)]
    hooks = [m.register_forward_hook(keep) for m in relus]
    try:
        with torch.no_grad():
            net(x)
    finally:
        for h in hooks:
            h.remove()
    if not codes:
        raise InvalidInputError(
            f"SWAP reads nn.ReLU modules on feature maps; {type(net).__name__} has "
            f"{len(relus)} nn.ReLU modules and none saw a 4-d input"
        )
    return torch.cat(codes)


def unique_patterns(net: nn.Module, x: torch.Tensor) -> int:
    """The number of distinct sample-wise activation patterns of ``net`` on ``x``
    (one forward; weights as they are).

    Args:
        net: the network.
        x: ``(B, C, H, W)`` images.
    """
    codes = pattern_codes(net, x)
    if codes.shape[1] == 1:
        return int(torch.unique(codes[:, 0]).numel())
    return int(torch.unique(codes, dim=0).shape[0])


def swap_score(
    net: nn.Module, x: torch.Tensor, repeats: int = PAPER_REPEATS, seed: int = 0
) -> float:
    """The unregularised SWAP-Score: the mean over ``repeats`` Gaussian
    re-initialisations (:func:`gaussian_init`) of :func:`unique_patterns`, the network
    in train mode. ``net`` is re-initialised in place.

    Args:
        net: the network (pass a copy to keep its weights).
        x: ``(B, C, H, W)`` images; the paper's ``B`` is :data:`PAPER_BATCH_SIZE`.
        repeats: re-initialisations averaged (the authors' 32).
        seed: re-initialisation ``r`` draws from a generator seeded ``seed + r``.
    """
    if repeats < 1:
        raise InvalidInputError(f"SWAP repeats must be >= 1, got {repeats}")
    net.train()
    counts = []
    for r in range(repeats):
        gaussian_init(net, seed + r)
        counts.append(unique_patterns(net, x))
    return float(sum(counts) / len(counts))


def count_params_thousands(net: nn.Module) -> float:
    """Parameters of ``net`` in thousands, those named ``auxiliary`` left out, as the
    authors' ``count_parameters``.

    Args:
        net: the network.
    """
    return sum(p.numel() for n, p in net.named_parameters() if "auxiliary" not in n) / 1e3


def regular_factor(params_k: float, mu: float = MU, sigma: float = SIGMA) -> float:
    """``exp(-(params_k - mu)^2 / sigma)``, the paper's size regulariser.

    Args:
        params_k: the network's parameters in thousands (:func:`count_params_thousands`).
        mu: the size the factor peaks at, in thousands of parameters.
        sigma: the width, in thousands squared (it divides the squared difference).
    """
    if not sigma > 0:
        raise InvalidInputError(f"SWAP regulariser sigma must be > 0, got {sigma}")
    return math.exp(-((params_k - mu) ** 2) / sigma)


def scores(ctx: ProxyContext) -> dict[str, float]:
    """``swap_raw`` and ``swap`` of ``ctx``'s arch, from one computation per context."""
    return ctx.cached("swap", lambda: _scores(ctx))


def _scores(ctx: ProxyContext) -> dict[str, float]:
    x, _ = ctx.batch_of(PAPER_BATCH_SIZE)
    net = ctx.fresh_copy()
    raw = swap_score(net, x.to(ctx.device), PAPER_REPEATS, int(ctx.seed))
    return {"swap_raw": raw, "swap": raw * regular_factor(count_params_thousands(net))}


@register("swap", needs=("data",), paper=_PAPER, batch_size=PAPER_BATCH_SIZE)
def swap(ctx: ProxyContext) -> float:
    """Regularised SWAP-Score: distinct sample-wise ReLU patterns times the size factor."""
    return scores(ctx)["swap"]


@register("swap_raw", needs=("data",), paper=_PAPER, batch_size=PAPER_BATCH_SIZE)
def swap_raw(ctx: ProxyContext) -> float:
    """SWAP-Score: the number of distinct sample-wise ReLU activation patterns."""
    return scores(ctx)["swap_raw"]
