"""Speed of the zero-cost proxy engine on NAS-Bench-201 (C=16, N=5).

Prints, per device (CPU, and CUDA when available):

1. archs/second for each proxy alone and for all proxies together (one shared
   engine call), over ``--archs-per-proxy`` archs; and for the whole set, the
   shared engine against one proxy at a time (median seconds per arch, ratio);
2. the speed target of issue 4: the seven proxies grad_norm + snip + grasp +
   fisher + jacov + plain + synflow, batch 64, with the shared engine
   (``score_archs(..., share=True)``) against our one-proxy-at-a-time path
   (``share=False``: each proxy its own network copy and its own passes, as the
   reference implementation of Abdelfattah et al., ICLR 2021, runs them), seconds
   per arch and the ratio, measured in the same run over ``--archs`` archs. The two
   paths alternate arch by arch so that load from other processes hits both alike.
   Per-proxy seconds of both paths show which proxy dominates.
3. pooling: the seven on pooling-heavy cells with naspred's valid-window average pool
   (:class:`naspred.spaces.pooling.ValidAvgPool2d`, a depthwise box-sum convolution)
   against PyTorch's ``avg_pool2d`` kernel on the same networks, alternating arch by
   arch: median seconds per arch, the ratio, and the largest relative score
   difference per proxy (float rounding only).
4. the reference and the limit (with ``--reference DIR``, a local checkout of the
   reference implementation, SamsungLabs/zero-cost-nas a43bfbc, which naspred does
   not ship): per arch, our shared engine's seconds for the seven against the
   reference's ``measures.calc_measure`` run on the same network and batch, and
   against the dense-convolution limit -- the convolution and matmul FLOPs our
   engine executes for that arch (forward, backward and grasp's double backward,
   counted op by op as they run) over this CPU's dense convolution
   forward+backward rate, measured here on the three 3x3 convolution shapes of the
   NB201 network's stages at the run's batch size. Scores of the two
   implementations are compared too (the reference's synflow is our
   ``log``).

Run: ``python perf/proxies.py [--threads 1] [--batch 64] [--archs 10]
[--reference ../zero-cost-nas]``.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import time
import types
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import flop_registry

from naspred.data.images import BatchProvider
from naspred.proxies import own_batch_sizes, proxy_names, score_archs
from naspred.proxies.engine import build_initialised
from naspred.spaces.nasbench201 import NasBench201Arch, NasBench201Space
from naspred.spaces.pooling import ValidAvgPool2d

SEVEN = ["grad_norm", "snip", "grasp", "fisher", "jacov", "plain", "synflow"]
NPZ = Path(__file__).resolve().parents[2] / "shared" / "data" / "cifar10_sample.npz"


def _archs(space: NasBench201Space, n: int, seed: int) -> list:
    """``n`` distinct archs, seeded (dead cells included: they are part of the space)."""
    rng = np.random.default_rng(seed)
    seen: dict[str, object] = {}
    while len(seen) < n:
        arch = space.sample(rng)
        seen.setdefault(arch.to_key(), arch)
    return list(seen.values())


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def per_proxy(space, archs, batch, own, device: str) -> None:
    names = [n for n in proxy_names() if not n.startswith("_")]
    print(f"\n## archs/second per proxy ({device}, {len(archs)} archs, batch {len(batch[0])})")
    print("| proxy | archs/s | s/arch |\n|---|---:|---:|")
    for name in [*names, "ALL together"]:
        chosen = names if name == "ALL together" else [name]
        _sync(device)
        t0 = time.perf_counter()
        score_archs(space, archs, chosen, "cifar10", batch, seed=0, device=device, batches=own)
        _sync(device)
        dt = time.perf_counter() - t0
        print(f"| {name} | {len(archs) / dt:.2f} | {dt / len(archs):.3f} |")


def whole_set(space, archs, batch, own, device: str) -> float:
    """Every registered proxy on each arch, the shared engine against one proxy at a
    time (each its own network copy and passes), alternating arch by arch: median
    seconds per arch and the ratio. Proxies with a batch of their own get it."""
    names = [n for n in proxy_names() if not n.startswith("_")]
    x, y = batch
    times: dict[bool, list[float]] = {True: [], False: []}
    for arch in archs:
        for share in (True, False):
            _sync(device)
            t0 = time.perf_counter()
            score_archs(space, [arch], names, "cifar10", batch, seed=0, device=device,
                        share=share, batches=own)  # fmt: skip
            _sync(device)
            times[share].append(time.perf_counter() - t0)
    shared, alone = float(np.median(times[True])), float(np.median(times[False]))
    print(f"\n## every proxy ({len(names)}), {device}, batch {len(x)}, {len(archs)} archs")
    print(f"shared engine {shared:.2f} s/arch, one proxy at a time {alone:.2f} s/arch "
          f"(medians); ratio {alone / shared:.2f}x")  # fmt: skip
    return alone / shared


def target(space, archs, batch, device: str) -> float:
    """Seconds per arch of the seven with and without sharing; returns the ratio."""
    totals = {True: 0.0, False: 0.0}
    # process CPU seconds: less sensitive than wall time to other processes' load
    cpu = {True: 0.0, False: 0.0}
    proxy_time = {True: dict.fromkeys(SEVEN, 0.0), False: dict.fromkeys(SEVEN, 0.0)}
    for arch in archs:
        for share in (True, False):
            _sync(device)
            t0, c0 = time.perf_counter(), time.process_time()
            _, times = score_archs(
                space, [arch], SEVEN, "cifar10", batch, seed=0, device=device, share=share
            )
            _sync(device)
            totals[share] += time.perf_counter() - t0
            cpu[share] += time.process_time() - c0
            for name in SEVEN:
                proxy_time[share][name] += float(times[name][0])
    n = len(archs)
    shared, alone = totals[True] / n, totals[False] / n
    print(
        f"\n## the seven ({', '.join(SEVEN)}), {device}, batch {len(batch[0])}, "
        f"{torch.get_num_threads()} threads, {n} archs"
    )
    print("| proxy | shared engine s/arch | one at a time s/arch |\n|---|---:|---:|")
    for name in SEVEN:
        print(f"| {name} | {proxy_time[True][name] / n:.3f} | {proxy_time[False][name] / n:.3f} |")
    print(f"| **total (wall)** | **{shared:.3f}** | **{alone:.3f}** |")
    print(f"| total (process CPU s) | {cpu[True] / n:.3f} | {cpu[False] / n:.3f} |")
    ratio = alone / shared
    print(f"\nshared engine: {shared:.2f} s/arch; one proxy at a time: {alone:.2f} s/arch; "
          f"ratio {ratio:.2f}x (target: <= 4.0 s/arch and >= 2x on CPU)")  # fmt: skip
    return ratio


#: cells with three or more ``avg_pool_3x3`` edges (op 4), the first the profiled one
POOL_HEAVY = [(4, 4, 1, 3, 4, 3), (4, 4, 4, 4, 4, 4), (3, 4, 2, 4, 3, 4), (4, 1, 4, 3, 3, 4)]


def pooling(space, batch, device: str, repeats: int) -> float:
    """Seconds per pooling-heavy arch of the seven, fast pool against PyTorch's kernel;
    returns the ratio of the medians."""
    archs = [NasBench201Arch(ops) for ops in POOL_HEAVY]
    fast_forward = ValidAvgPool2d.forward
    times: dict[bool, list[float]] = {True: [], False: []}
    scores: dict[bool, dict[str, list[float]]] = {True: {}, False: {}}
    for _ in range(repeats):
        for arch in archs:
            for fast in (True, False):
                # the slow path: the same modules, pooled by nn.AvgPool2d's own kernel
                ValidAvgPool2d.forward = fast_forward if fast else nn.AvgPool2d.forward
                try:
                    _sync(device)
                    t0 = time.perf_counter()
                    got, _ = score_archs(space, [arch], SEVEN, "cifar10", batch, seed=0,
                                         device=device)  # fmt: skip
                    _sync(device)
                    times[fast].append(time.perf_counter() - t0)
                finally:
                    ValidAvgPool2d.forward = fast_forward
                for name in SEVEN:
                    scores[fast].setdefault(name, []).append(float(got[name][0]))
    fast_s, slow_s = float(np.median(times[True])), float(np.median(times[False]))
    print(f"\n## pooling: the seven on {len(archs)} pooling-heavy cells x {repeats}, {device}")
    print("| proxy | largest relative score difference |\n|---|---:|")
    for name in SEVEN:
        a, b = np.array(scores[True][name]), np.array(scores[False][name])
        rel = np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-12))
        print(f"| {name} | {rel:.1e} |")
    ratio = slow_s / fast_s
    print(f"\nvalid-window pool: {fast_s:.3f} s/arch (median); PyTorch avg_pool2d: "
          f"{slow_s:.3f} s/arch; ratio {ratio:.2f}x")  # fmt: skip
    return ratio


class _ExecutedFlops(TorchDispatchMode):
    """Counts the FLOPs of every convolution and matmul that runs under it, backward
    and double-backward ops included (torch's own FLOP formulas). Unlike
    ``FlopCounterMode`` it tracks no modules, whose hooks break ``autograd.grad``."""

    def __init__(self) -> None:
        super().__init__()
        self.flops = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        count = flop_registry.get(func._overloadpacket)
        if count is not None:
            self.flops += int(count(*args, **kwargs, out_val=out))
        return out


def _clock(device: str):
    """Process CPU seconds on the CPU (robust to other processes' load), wall time on a
    GPU (whose work the process clock does not see)."""
    return time.perf_counter if device.startswith("cuda") else time.process_time


def dense_conv_rate(batch: int, device: str, repeats: int = 5) -> float:
    """FLOP/s of 3x3 convolution forward+backward (input and weight gradients) at the
    NB201 stages' shapes (16 channels at 32x32, 32 at 16x16, 64 at 8x8), median of
    ``repeats``: the rate the limit divides by."""
    clock = _clock(device)
    convs = [(c, s, nn.Conv2d(c, c, 3, padding=1, bias=False).to(device))
             for c, s in ((16, 32), (32, 16), (64, 8))]  # fmt: skip
    inputs = [torch.randn(batch, c, s, s, device=device, requires_grad=True) for c, s, _ in convs]

    def run() -> None:
        for (_, _, conv), x in zip(convs, inputs, strict=True):
            conv(x).sum().backward()

    run()
    counter = _ExecutedFlops()
    with counter:
        run()
    times = []
    for _ in range(repeats):
        _sync(device)
        t0 = clock()
        run()
        _sync(device)
        times.append(clock() - t0)
    return counter.flops / float(np.median(times))


def _reference_measures(reference: Path):
    """The reference's ``measures`` module, imported from a local checkout."""
    if not (reference / "foresight" / "pruners" / "measures").is_dir():
        raise SystemExit(f"--reference {reference}: no foresight/pruners/measures there; "
                         "give a checkout of github.com/SamsungLabs/zero-cost-nas")  # fmt: skip
    sys.path.insert(0, str(reference))
    from foresight.pruners import measures

    return measures


#: the reference's names for ours
REFERENCE_NAMES = {"jacov": "jacob_cov"}


def reference_and_limit(space, archs, batch, device: str, reference: Path) -> None:
    """Per arch: our engine, the reference, the dense-conv limit; medians and worst."""
    measures = _reference_measures(reference)
    clock = _clock(device)
    rate = dense_conv_rate(len(batch[0]), device)
    x, y = batch[0].to(device), batch[1].to(device)

    def prunable_copy(net: nn.Module, bn: bool = True) -> nn.Module:
        clone = copy.deepcopy(net)
        if not bn:  # the reference's own copy without BatchNorm, for synflow
            for m in clone.modules():
                if isinstance(m, nn.BatchNorm2d | nn.BatchNorm1d):
                    m.forward = types.MethodType(lambda _self, z: z, m)
        return clone

    rows = []
    diffs: dict[str, list[float]] = {n: [] for n in SEVEN}
    for arch in archs:
        # process CPU seconds: on a shared machine wall time counts others' load too
        _sync(device)
        t0 = clock()
        ours, _ = score_archs(space, [arch], SEVEN, "cifar10", (x, y), seed=0, device=device)
        _sync(device)
        t_ours = clock() - t0
        counter = _ExecutedFlops()
        with counter:
            score_archs(space, [arch], SEVEN, "cifar10", (x, y), seed=0, device=device)
        net = build_initialised(space, arch, "cifar10", 0, device)
        net.get_prunable_copy = types.MethodType(prunable_copy, net)
        _sync(device)
        t0 = clock()
        theirs = {}
        for name in SEVEN:
            # a fresh input per measure: the reference accumulates jacob_cov's input grad
            ref_name = REFERENCE_NAMES.get(name, name)
            value = measures.calc_measure(
                ref_name, net, device, x.clone(), y, loss_fn=F.cross_entropy, split_data=1
            )
            theirs[name] = value if name == "jacov" else float(sum(t.detach().sum() for t in value))
        _sync(device)
        t_ref = clock() - t0
        theirs["synflow"] = float(np.log(theirs["synflow"])) if theirs["synflow"] > 0 else np.nan
        for name in SEVEN:
            a, b = float(ours[name][0]), float(theirs[name])
            diffs[name].append(abs(a - b) / max(abs(b), 1e-12))
        limit = counter.flops / rate
        rows.append((arch.to_key(), t_ours, t_ref, limit, counter.flops))
    print(f"\n## against the reference (zero-cost-nas) and the dense-conv limit, {device}, "
          f"batch {len(x)}, {torch.get_num_threads()} threads, {len(rows)} archs; "
          "process CPU seconds on CPU, wall on GPU (the rate too)")  # fmt: skip
    print(
        f"dense 3x3 conv forward+backward rate at the NB201 stage shapes: {rate / 1e9:.2f} GFLOP/s"
    )
    print("| arch | executed GFLOP | limit s | ours s | reference s | reference / ours "
          "| ours / limit |\n|---|---:|---:|---:|---:|---:|---:|")  # fmt: skip
    for key, t_ours, t_ref, limit, flops in rows:
        print(f"| {key} | {flops / 1e9:.2f} | {limit:.3f} | {t_ours:.3f} | {t_ref:.3f} "
              f"| {t_ref / t_ours:.2f} | {t_ours / limit:.2f} |")  # fmt: skip
    speedup = [t_ref / t_ours for _, t_ours, t_ref, _, _ in rows]
    to_limit = [t_ours / limit for _, t_ours, _, limit, _ in rows]
    print(f"\nreference / ours: median {np.median(speedup):.2f}x (target >= 4x); "
          f"ours / limit: median {np.median(to_limit):.2f}x (target <= 2x), "
          f"worst {np.max(to_limit):.2f}x (target <= 3x)")  # fmt: skip
    print("| proxy | largest relative difference ours vs reference |\n|---|---:|")
    for name in SEVEN:
        print(f"| {name} | {np.nanmax(diffs[name]):.1e} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2, help="torch threads (CPU)")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--archs", type=int, default=10, help="archs for the seven-proxy target")
    parser.add_argument("--archs-per-proxy", type=int, default=3)
    parser.add_argument("--device", choices=["cpu", "cuda", "all"], default="all")
    parser.add_argument("--npz", type=Path, default=NPZ, help="CIFAR-10 sample (else noise)")
    parser.add_argument("--skip-per-proxy", action="store_true")
    parser.add_argument("--pool-repeats", type=int, default=3, help="0 skips the pooling part")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--reference", type=Path, default=None, help="checkout of SamsungLabs/zero-cost-nas"
    )
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    space = NasBench201Space()
    provider = BatchProvider.from_source("cifar10", npz=args.npz if args.npz.is_file() else None)
    batch = provider.batch(args.batch, seed=args.seed)
    # the batches proxies whose papers fix their size draw, from the same images
    own = {n: provider.batch(n, seed=args.seed) for n in own_batch_sizes(proxy_names(), args.batch)}
    devices = ["cpu", "cuda"] if args.device == "all" else [args.device]
    if not torch.cuda.is_available():
        devices = [d for d in devices if d != "cuda"]
    print(f"# proxy engine speed: NB201 C=16 N=5, data: {provider.source}")
    print(f"torch {torch.__version__}, {args.threads} threads, load average {os.getloadavg()}")
    archs = _archs(space, args.archs, args.seed)
    for device in devices:
        warm = archs[:1]  # first call pays one-off costs (allocator, kernels)
        score_archs(space, warm, SEVEN, "cifar10", batch, seed=0, device=device)
        if not args.skip_per_proxy:
            per_proxy(space, archs[: args.archs_per_proxy], batch, own, device)
        target(space, archs, batch, device)
        if not args.skip_per_proxy:
            whole_set(space, archs[: args.archs_per_proxy], batch, own, device)
        if args.pool_repeats:
            pooling(space, batch, device, args.pool_repeats)
        if args.reference is not None:
            reference_and_limit(space, archs, batch, device, args.reference)
        else:
            print("\n(reference and limit skipped: pass --reference DIR, a checkout of "
                  "github.com/SamsungLabs/zero-cost-nas)")  # fmt: skip
    print(f"\nload average at the end {os.getloadavg()}")


if __name__ == "__main__":
    main()
