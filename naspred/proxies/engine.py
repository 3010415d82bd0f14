"""The zero-cost proxy registry and the batched scoring engine.

A proxy is a :class:`Proxy`: a name, a function ``fn(ctx) -> float`` that reads a
:class:`ProxyContext`, the paper it follows, and the *shared quantities* it needs.
Higher scores mean predicted better (cost measures ``params``/``flops`` are raw
millions, as the benchmark records store them).

Sharing work. Most data-dependent proxies read the same few tensors of one
minibatch, so :class:`ProxyContext` computes them once, in one pass, for every
proxy that asked:

* ``"input_grad"`` -- d(sum of logits)/d(input), the Jacobian of Mellor et al.
  (``jacov``, ``epe_nas``);
* ``"relu_codes"`` -- the binary ReLU activation kernel (``nwot``);
* ``"weight_grad"`` -- d(cross-entropy)/d(weight) of every conv/linear layer
  (``grad_norm``, ``snip``, ``plain``; ``grasp`` reads them too);
* ``"act_grad"`` -- every conv/linear output and d(loss)/d(output) (``fisher``);
* ``"hessian_grad"`` -- the Hessian-gradient product H g (``grasp``), from a
  second backward through the graph of the first (``create_graph``).

One forward serves all of them: the input Jacobian is a backward from the logits
with the graph retained, and the loss gradients a second backward of the same
graph. The network is in train mode (batch statistics in BatchNorm) throughout,
as in the reference implementation (Abdelfattah et al., ICLR 2021), where every
one of these proxies runs its own forward/backward on the same batch; sharing
therefore changes speed, not values. Proxies that change weights or use other
inputs (``synflow``, ``zen``) work on :meth:`ProxyContext.fresh_copy`, a copy of
the network as initialised.
"""

from __future__ import annotations

import copy
import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from naspred.errors import InvalidInputError, UnknownNameError
from naspred.spaces.base import Arch, SearchSpace

log = logging.getLogger(__name__)

#: The shared quantities a proxy may ask for (see the module docstring), plus
#: ``"data"`` for proxies that only need the minibatch itself.
SHARED: tuple[str, ...] = ("input_grad", "relu_codes", "weight_grad", "act_grad", "hessian_grad")


@dataclass(frozen=True)
class Proxy:
    """A registered zero-cost proxy.

    Attributes:
        name: registry name (NAS-Bench-Suite-Zero's where it has one).
        fn: ``fn(ctx) -> float`` for per-arch proxies; for ``population`` proxies
            ``fn(scores: dict[name, np.ndarray]) -> np.ndarray`` over all archs.
        needs: shared quantities (:data:`SHARED`) and/or ``"data"``.
        paper: the paper the definition follows.
        population: True for proxies defined over a set of archs (``voting``).
        depends: other proxies a population proxy combines.
        batch_size: the minibatch size the proxy's paper fixes, if it fixes one; the
            proxy reads that many images with :meth:`ProxyContext.batch_of`, and a run
            draws them besides its own minibatch (None: the run's minibatch).
    """

    name: str
    fn: Callable
    needs: frozenset[str] = frozenset()
    paper: str = ""
    population: bool = False
    depends: tuple[str, ...] = ()
    batch_size: int | None = None

    @property
    def needs_data(self) -> bool:
        """Whether the proxy reads a minibatch: ``needs`` names a shared quantity or
        ``"data"``."""
        return bool(self.needs)


_REGISTRY: dict[str, Proxy] = {}


def register(
    name: str,
    needs: Iterable[str] = (),
    paper: str = "",
    population: bool = False,
    depends: Sequence[str] = (),
    batch_size: int | None = None,
) -> Callable[[Callable], Callable]:
    """Decorator: register ``fn`` as proxy ``name`` (see :class:`Proxy`)."""
    needs = frozenset(needs)
    unknown = needs - set(SHARED) - {"data"}
    if unknown:
        raise InvalidInputError(f"proxy {name!r} needs unknown quantities {sorted(unknown)}")
    if batch_size is not None and ("data" not in needs or batch_size < 1):
        raise InvalidInputError(
            f"proxy {name!r}: batch_size={batch_size} needs needs=('data',) and a size >= 1"
        )

    def decorate(fn: Callable) -> Callable:
        if name in _REGISTRY:
            raise InvalidInputError(f"proxy {name!r} is already registered")
        _REGISTRY[name] = Proxy(name, fn, needs, paper, population, tuple(depends), batch_size)
        return fn

    return decorate


def get_proxy(name: str) -> Proxy:
    """The registered proxy called ``name``."""
    if name not in _REGISTRY:
        raise UnknownNameError(f"unknown proxy {name!r}; known: {', '.join(proxy_names())}")
    return _REGISTRY[name]


def proxy_names() -> list[str]:
    """Names of every registered proxy, sorted."""
    return sorted(_REGISTRY)


def own_batch_sizes(proxies: Iterable[str], batch_size: int | None = None) -> list[int]:
    """The minibatch sizes that ``proxies`` fix for themselves (:attr:`Proxy.batch_size`),
    other than the run's ``batch_size``: the batches a run must draw besides its own."""
    sizes = {get_proxy(p).batch_size for p in proxies} - {None, batch_size}
    return sorted(s for s in sizes if s is not None)


def gaussian_weights_(
    net: nn.Module, gen: torch.Generator, norms: tuple[type[nn.Module], ...]
) -> nn.Module:
    """Conv and linear weights N(0, 1) drawn from ``gen`` in module order, their biases
    0, and the affine ``norms`` layers weight 1 / bias 0 (in place): the Gaussian
    re-initialisation of Zen-NAS and SWAP, each naming the norm layers its authors'
    code resets."""
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen))
                if m.bias is not None:
                    m.bias.zero_()
            elif isinstance(m, norms) and getattr(m, "weight", None) is not None:
                m.weight.fill_(1.0)
                m.bias.zero_()
    return net


def prunable_layers(net: nn.Module) -> list[nn.Module]:
    """The conv and linear layers, in module order: the layers the reference
    implementation sums its per-layer metrics over."""
    return [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


class ProxyContext:
    """One network at initialisation, one minibatch, and the shared quantities.

    Args:
        net: the freshly initialised network (left in train mode).
        space, arch, dataset: what ``net`` was built from (``params``/``flops`` read them).
        x, y: the minibatch (None for data-free runs).
        seed: for proxies that draw their own random inputs (``zen``).
        needs: the shared quantities to compute in :meth:`shared_pass`.
        batches: minibatches of other sizes from the same images and seed, by size,
            for proxies whose paper fixes a batch size (:meth:`batch_of`).
    """

    def __init__(
        self,
        net: nn.Module,
        space: SearchSpace,
        arch: Arch,
        dataset: str,
        x: torch.Tensor | None,
        y: torch.Tensor | None,
        seed: int = 0,
        needs: Iterable[str] = (),
        batches: Mapping[int, tuple[torch.Tensor, torch.Tensor]] | None = None,
    ) -> None:
        self.net = net
        self.space = space
        self.arch = arch
        self.dataset = dataset
        self.x = x
        self.y = y
        self.seed = seed
        self.batches = dict(batches or {})
        self.needs = frozenset(needs) & set(SHARED)
        self.device = next(net.parameters()).device
        # pristine weights and BN buffers, for proxies that must not see the
        # running statistics updated by the shared pass
        self._pristine = {k: v.detach().clone() for k, v in net.state_dict().items()}
        self._done = False
        self._cache: dict[str, Any] = {}
        self.input_grad: torch.Tensor | None = None
        self.relu_kernel: torch.Tensor | None = None
        self.weights: list[torch.Tensor] = []
        self.weight_grads: list[torch.Tensor] = []
        self.act_layers: list[nn.Module] = []
        self.acts: list[torch.Tensor] = []
        self.act_grads: list[torch.Tensor] = []
        self.hessian_grads: list[torch.Tensor] = []

    def fresh_copy(self) -> nn.Module:
        """A copy of the network with its initial weights and buffers (train mode)."""
        clone = copy.deepcopy(self.net)
        clone.load_state_dict(self._pristine)
        return clone.train()

    def space_complexity(self) -> tuple[float, float] | None:
        """The space's own ``(params, flops)`` of the arch, in millions (the benchmark
        records' counting convention), or None for a space that has none.

        Spaces count by building networks (memoised), whose initialisation draws from
        torch's global random state; forked here, so that scoring leaves other code's
        random streams as they were, whichever archs were counted before.
        """
        complexity = getattr(self.space, "complexity", None)
        if complexity is None:
            return None
        with torch.random.fork_rng(devices=[]):
            return complexity(self.arch, self.dataset)

    def batch_of(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``(x, y)``: ``n`` images and labels of the run's image pool, drawn with the
        run's seed -- the run's minibatch when ``n`` is its size, else the batch drawn
        for a proxy registered with ``batch_size=n``."""
        if self.x is not None and self.y is not None and len(self.x) == n:
            return self.x, self.y
        if n in self.batches:
            return self.batches[n]
        have = sorted({*self.batches, *([len(self.x)] if self.x is not None else [])})
        raise InvalidInputError(
            f"no minibatch of {n} images in this run (have sizes {have}); a proxy that "
            f"reads one must be registered with batch_size={n}, or score with batch_size={n}"
        )

    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()``, run once per context under ``key``: for proxies registered
        apart that read one computation (AZ-NAS's three components)."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def require(self, *needs: str) -> None:
        """Make sure ``needs`` have been computed (running the shared pass if not)."""
        missing = set(needs) - self.needs
        if missing or not self._done:
            self.needs = self.needs | set(needs)
            if self._done and missing:
                # computed without these; compute again on the pristine network
                self.net.load_state_dict(self._pristine)
            self.shared_pass()

    def shared_pass(self) -> None:
        """One forward and the backwards that ``self.needs`` call for."""
        self._done = True
        if not self.needs:
            return
        if self.x is None or self.y is None:
            raise InvalidInputError("data-dependent proxies need a minibatch; none was given")
        net = self.net.train()
        net.zero_grad(set_to_none=True)
        layers = prunable_layers(net)
        self.weights = [m.weight for m in layers]
        hooks = []
        acts: list[torch.Tensor] = []
        act_layers: list[nn.Module] = []
        kernel: list[torch.Tensor] = []
        if "act_grad" in self.needs:

            def keep(m: nn.Module, _inputs: tuple[torch.Tensor, ...], out: torch.Tensor) -> None:
                # execution order differs from module order (e.g. a shortcut runs first)
                act_layers.append(m)
                acts.append(out)

            hooks += [m.register_forward_hook(keep) for m in layers]
        if "relu_codes" in self.needs:

            def count(_m: nn.Module, inputs: tuple[torch.Tensor, ...]) -> None:
                # a pre-hook sees the ReLU's input before an in-place ReLU overwrites it
                codes = (inputs[0].detach().flatten(1) > 0).double()
                k = codes @ codes.T + (1.0 - codes) @ (1.0 - codes).T
                kernel.append(k)

            hooks += [
                m.register_forward_pre_hook(count) for m in net.modules() if isinstance(m, nn.ReLU)
            ]
        loss_needs = {"weight_grad", "act_grad", "hessian_grad"} & self.needs
        x = self.x.detach().clone().requires_grad_("input_grad" in self.needs)
        try:
            logits = net(x)
        finally:
            for h in hooks:
                h.remove()
        if kernel:
            self.relu_kernel = torch.stack(kernel).sum(0)
        if "input_grad" in self.needs:
            (grad,) = torch.autograd.grad(logits.sum(), x, retain_graph=bool(loss_needs))
            self.input_grad = grad.detach()
        if not loss_needs:
            return
        loss = F.cross_entropy(logits, self.y)
        targets = list(self.weights) + acts
        hessian = "hessian_grad" in self.needs
        grads = torch.autograd.grad(loss, targets, create_graph=hessian, allow_unused=True)
        n = len(self.weights)
        self.weight_grads = [
            torch.zeros_like(w) if g is None else g.detach()
            for w, g in zip(self.weights, grads[:n], strict=True)
        ]
        self.act_layers = act_layers
        self.acts = [a.detach() for a in acts]
        self.act_grads = [
            torch.zeros_like(a) if g is None else g.detach()
            for a, g in zip(acts, grads[n:], strict=True)
        ]
        if hessian:
            # GraSP's H g: differentiate g_fixed . g(w) once more
            z = sum(
                (gd * g).sum()
                for gd, g in zip(self.weight_grads, grads[:n], strict=True)
                if g is not None and g.requires_grad
            )
            if isinstance(z, torch.Tensor):
                hg = torch.autograd.grad(z, self.weights, allow_unused=True)
            else:
                hg = (None,) * n
            self.hessian_grads = [
                torch.zeros_like(w) if h is None else h.detach()
                for w, h in zip(self.weights, hg, strict=True)
            ]
        del grads, logits, loss


@dataclass
class ProxyFailure:
    """One proxy that raised or gave a non-finite score on one arch."""

    proxy: str
    arch: str
    index: int
    error: str


@dataclass
class _Plan:
    per_arch: list[Proxy] = field(default_factory=list)
    population: list[Proxy] = field(default_factory=list)


def _plan(names: Sequence[str]) -> _Plan:
    plan = _Plan()
    seen: set[str] = set()

    def add(name: str) -> None:
        if name in seen:
            return
        proxy = get_proxy(name)
        for dep in proxy.depends:
            add(dep)
        seen.add(name)
        (plan.population if proxy.population else plan.per_arch).append(proxy)

    for name in names:
        add(name)
    return plan


def build_initialised(
    space: SearchSpace, arch: Arch, dataset: str, seed: int, device: str | torch.device = "cpu"
) -> nn.Module:
    """``space``'s network for ``arch`` with weights drawn from ``seed`` only (the
    global torch RNG is left as it was), in train mode on ``device``."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = space.build_network(arch, dataset)
    return net.to(device).train()


def score_archs(
    space: SearchSpace,
    archs: Sequence[Arch],
    proxies: Sequence[str],
    dataset: str,
    batch: tuple[torch.Tensor, torch.Tensor] | None,
    seed: int = 0,
    device: str | torch.device = "cpu",
    failures: list[ProxyFailure] | None = None,
    share: bool = True,
    batches: Mapping[int, tuple[torch.Tensor, torch.Tensor]] | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Score ``archs`` with every proxy in ``proxies``.

    Each arch's network is built once, initialised from ``seed`` (the same seed for
    every arch, as the reference implementation does), and reused by all proxies;
    one shared pass over ``batch`` serves every proxy that can share it (see the
    module docstring). ``share=False`` runs one proxy at a time, each with its own
    pass on its own copy of the network -- the reference's way, kept to measure
    the gain and to check that sharing changes nothing.

    A proxy that raises or returns NaN/inf on an arch scores NaN there; the run goes
    on, a warning is logged and a :class:`ProxyFailure` appended to ``failures``.

    Returns ``(scores, times)``: per proxy, an array aligned with ``archs``. A
    proxy's time is its own seconds plus an equal share of the network build and
    of the shared pass among the proxies that used them, so the times of one arch
    sum to its wall time. Population proxies (``voting``) score after all archs
    and take their (near-zero) combining time.

    ``batches`` holds, by size, the minibatches (from the same images and seed) of
    the proxies registered with their own ``batch_size``
    (:func:`own_batch_sizes`); such a proxy without its batch fails with a message
    naming the size.
    """
    plan = _plan(proxies)
    names = [p.name for p in plan.per_arch]
    n = len(archs)
    scores = {p.name: np.full(n, np.nan) for p in plan.per_arch + plan.population}
    times = {p.name: np.zeros(n) for p in plan.per_arch + plan.population}
    needs = frozenset().union(*(p.needs for p in plan.per_arch)) if plan.per_arch else frozenset()
    x = y = None
    extra = {n: (bx.to(device), by.to(device)) for n, (bx, by) in (batches or {}).items()}
    if batch is not None:
        x, y = batch[0].to(device), batch[1].to(device)
    elif needs:
        raise InvalidInputError(
            f"proxies {[p.name for p in plan.per_arch if p.needs]} need a minibatch; "
            "pass batch=(x, y) (see naspred.data.images)"
        )
    for i, arch in enumerate(archs):
        key = arch.to_key()
        t0 = time.perf_counter()
        net = build_initialised(space, arch, dataset, seed, device)
        build_share = (time.perf_counter() - t0) / max(len(names), 1)
        if share:
            ctx = ProxyContext(net, space, arch, dataset, x, y, seed, needs, extra)
            users = [p.name for p in plan.per_arch if p.needs & set(SHARED)]
            t0 = time.perf_counter()
            try:
                ctx.shared_pass()
            except Exception as err:  # recorded per proxy below
                for name in users:
                    _fail(failures, name, key, i, f"shared pass: {err!r}")
                users_failed = set(users)
            else:
                users_failed = set()
            pass_share = (time.perf_counter() - t0) / max(len(users), 1)
        for proxy in plan.per_arch:
            times[proxy.name][i] += build_share
            if share:
                if proxy.name in users_failed:
                    continue
                if proxy.name in users:
                    times[proxy.name][i] += pass_share
                run_ctx = ctx
            else:
                copy_net = net if not proxy.needs else copy.deepcopy(net)
                run_ctx = ProxyContext(
                    copy_net, space, arch, dataset, x, y, seed, proxy.needs, extra
                )
            t0 = time.perf_counter()
            value = _run(proxy, run_ctx, failures, key, i)
            times[proxy.name][i] += time.perf_counter() - t0
            scores[proxy.name][i] = value
        log.debug("scored %s (%d/%d)", key, i + 1, n)
    for proxy in plan.population:
        t0 = time.perf_counter()
        try:
            scores[proxy.name] = np.asarray(
                proxy.fn({d: scores[d] for d in proxy.depends}), dtype=float
            )
        except Exception as err:  # a population proxy may fail as a whole
            _fail(failures, proxy.name, "*", -1, repr(err))
        times[proxy.name][:] = (time.perf_counter() - t0) / max(n, 1)
    return scores, times


def _run(
    proxy: Proxy, ctx: ProxyContext, failures: list[ProxyFailure] | None, key: str, i: int
) -> float:
    try:
        ctx.require(*(proxy.needs & set(SHARED)))
        value = float(proxy.fn(ctx))
    except Exception as err:  # one proxy failing must not stop the run
        _fail(failures, proxy.name, key, i, repr(err))
        return math.nan
    if not math.isfinite(value):
        _fail(failures, proxy.name, key, i, f"non-finite score {value}")
        return math.nan
    return value


def _fail(failures: list[ProxyFailure] | None, name: str, key: str, i: int, error: str) -> None:
    log.warning("proxy %s failed on arch %s: %s", name, key, error)
    if failures is not None:
        failures.append(ProxyFailure(name, key, i, error))
