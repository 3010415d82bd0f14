"""Training one architecture from scratch under a fixed protocol, recording its curves.

This is the measuring instrument behind ``naspred make-benchmark``
(:func:`naspred.experiments.lc_benchmark.make_benchmark`): :func:`train_arch`
builds a space's network for one arch, trains it with the
:class:`TrainingProtocol` and returns, per epoch, train loss and accuracy (the
running averages over the epoch's minibatches, in train mode, as NAS-Bench-201
records them), validation loss and accuracy on the held-out split (eval mode,
after the epoch), and the wall time of the epoch's training pass.

The protocol follows NAS-Bench-201's (Dong & Yang, ICLR 2020: SGD with Nesterov
momentum 0.9, weight decay 5e-4, learning rate 0.1 annealed to 0 by a cosine,
random crop with 4-px padding and horizontal flips, no label smoothing), with
fewer epochs and, optionally, a smaller network, smaller images and a subset of
the training images, so that many archs can be trained on little hardware.

Data. :class:`DataSource` names the images: a ``.npz`` with ``train_x``/``train_y``
and ``test_x``/``test_y`` (such as ``../shared/data/cifar10_sample.npz``), or a
torchvision-format CIFAR directory (read by :mod:`naspred.data.images`). The
model trains on the train split and is validated on the test split, which it
never sees during training (NAS-Bench-201's "cifar10-valid" instead splits the
training set in two; with a 5k-image sample both halves would be too small).

Determinism. With the same protocol, seed and data, :func:`train_arch` on CPU
gives bit-identical curves (times aside): the weights are initialised from
``torch.manual_seed(seed)``, minibatch order comes from
``numpy.random.default_rng(seed)`` and augmentation from a ``torch.Generator``
seeded with ``seed``, and torch's deterministic algorithms are switched on for
the run (and restored after). On CUDA, cuDNN is set to deterministic kernels
too, but some kernels have no deterministic version (torch then only warns).
"""

from __future__ import annotations

import inspect
import logging
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from naspred.data.images import NUM_CLASSES, load_cifar, load_npz_sample, normalise
from naspred.errors import InvalidInputError
from naspred.spaces import get_space
from naspred.spaces.base import SearchSpace

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainingProtocol:
    """How every arch of a learning-curve benchmark is trained (all archs alike).

    Attributes:
        dataset: dataset name the space builds its network for (``"cifar10"``,
            ``"cifar100"``); also picks the normalisation constants.
        epochs: training epochs (a curve has this many points).
        batch_size: training minibatch size.
        lr: initial learning rate of SGD.
        momentum: SGD momentum.
        weight_decay: L2 weight decay, on every parameter (as NB201 does).
        nesterov: Nesterov momentum.
        lr_schedule: ``"cosine"``: ``lr * (1 + cos(pi * t / T)) / 2`` updated every
            step ``t`` of ``T = epochs * steps_per_epoch`` (so it reaches 0 at the end
            whatever the epoch count); ``"constant"``: ``lr`` throughout.
        label_smoothing: of the cross-entropy loss (0: none, as NB201).
        augment: random crop with ``crop_padding`` px of zero padding (the dataset
            mean, after normalisation) and random horizontal flips, per image.
        crop_padding: padding of the random crop, in pixels of the (possibly
            downsampled) image; NB201 uses 4 at 32x32.
        C: channels of the network's first stage (NB201: 16).
        N: cells per stage (NB201: 5).
        image_size: side of the images fed to the network; below the source's 32
            they are downsampled by area averaging (16: a quarter of the compute).
        train_size: train on this many images of the train split (a subset drawn by
            ``data_seed``, the same for every arch); None: all of them.
        val_size: validate on this many images of the held-out split; None: all.
        data_seed: seed of the train/val subsets (not of training).
        eval_batch_size: minibatch size for validation (no effect on results).
        proxies: zero-cost proxies (:mod:`naspred.proxies` names) scored on each
            network at its initialisation, before training, on ``proxy_batch_size``
            training images (the same for every arch), so that hybrid predictors such
            as OMNI and the trade-off study find them, with their times, in the file.
        proxy_batch_size: minibatch of the data-dependent proxies.
    """

    dataset: str = "cifar10"
    epochs: int = 12
    batch_size: int = 128
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 5e-4
    nesterov: bool = True
    lr_schedule: str = "cosine"
    label_smoothing: float = 0.0
    augment: bool = True
    crop_padding: int = 4
    C: int = 16
    N: int = 5
    image_size: int = 32
    train_size: int | None = None
    val_size: int | None = None
    data_seed: int = 0
    eval_batch_size: int = 512
    proxies: tuple[str, ...] = ()
    proxy_batch_size: int = 64

    def __post_init__(self) -> None:
        object.__setattr__(self, "proxies", tuple(self.proxies))
        if self.proxies:
            from naspred.proxies import proxy_names

            unknown = sorted(set(self.proxies) - set(proxy_names()))
            if unknown:
                raise InvalidInputError(
                    f"TrainingProtocol.proxies: unknown proxy {unknown}; known: {proxy_names()}"
                )
        for name in (
            "epochs",
            "batch_size",
            "C",
            "N",
            "image_size",
            "eval_batch_size",
            "proxy_batch_size",
        ):
            if int(getattr(self, name)) < 1:
                raise InvalidInputError(
                    f"TrainingProtocol.{name} must be >= 1, got {getattr(self, name)}"
                )
        for name in ("train_size", "val_size"):
            value = getattr(self, name)
            if value is not None and int(value) < 1:
                raise InvalidInputError(
                    f"TrainingProtocol.{name} must be >= 1 or None, got {value}"
                )
        if self.lr_schedule not in ("cosine", "constant"):
            raise InvalidInputError(
                f"TrainingProtocol.lr_schedule must be 'cosine' or 'constant', "
                f"got {self.lr_schedule!r}"
            )
        if self.crop_padding < 0:
            raise InvalidInputError(
                f"TrainingProtocol.crop_padding must be >= 0, got {self.crop_padding}"
            )

    def to_dict(self) -> dict[str, Any]:
        """The protocol as a JSON-ready dict (the learning-curve file's header)."""
        out = asdict(self)
        out["proxies"] = list(self.proxies)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainingProtocol:
        """Inverse of :meth:`to_dict`; unknown fields raise ``ValueError`` naming them."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidInputError(
                f"unknown training-protocol field(s) {unknown}; known: {sorted(known)}"
            )
        return cls(**data)


@dataclass(frozen=True)
class DataSource:
    """Where the images come from: an ``npz`` sample or a torchvision-format ``root``.

    Picklable and hashable, so a worker process loads the images itself (once per
    process) instead of receiving them with every job.
    """

    dataset: str = "cifar10"
    npz: str | None = None
    root: str | None = None
    download: bool = False

    def __post_init__(self) -> None:
        if (self.npz is None) == (self.root is None):
            raise InvalidInputError(
                "DataSource needs exactly one of npz= (a .npz sample) or root= (a dir)"
            )

    @classmethod
    def from_path(
        cls, path: str | Path, dataset: str = "cifar10", download: bool = False
    ) -> DataSource:
        """A ``.npz`` file becomes ``npz=``, anything else a torchvision-format ``root=``."""
        path = Path(path)
        if path.suffix == ".npz":
            return cls(dataset=dataset, npz=str(path))
        return cls(dataset=dataset, root=str(path), download=download)

    def describe(self) -> str:
        """One line naming the dataset and where its images come from."""
        return f"{self.dataset} from {self.npz or self.root}"

    def load(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(train_x, train_y, val_x, val_y)``: uint8 NCHW images and int64 labels."""
        return _load_source(self)


@lru_cache(maxsize=4)
def _load_source(source: DataSource) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    if source.npz is not None:
        classes = NUM_CLASSES.get(source.dataset)
        train = load_npz_sample(source.npz, train=True, num_classes=classes)
        val = load_npz_sample(source.npz, train=False, num_classes=classes)
    else:
        train = load_cifar(source.root, source.dataset, train=True, download=source.download)
        val = load_cifar(source.root, source.dataset, train=False)
    return (*train, *val)


@dataclass(frozen=True)
class PreparedData:
    """Normalised (and possibly downsampled, subset) float tensors on the CPU."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor


def prepare_data(source: DataSource, protocol: TrainingProtocol) -> PreparedData:
    """The protocol's view of ``source``: subsets, resolution and normalisation
    (cached per process, as every arch of a benchmark uses the same)."""
    return _prepare(
        source,
        protocol.dataset,
        protocol.image_size,
        protocol.train_size,
        protocol.val_size,
        protocol.data_seed,
    )


@lru_cache(maxsize=4)
def _prepare(
    source: DataSource,
    dataset: str,
    image_size: int,
    train_size: int | None,
    val_size: int | None,
    data_seed: int,
) -> PreparedData:
    train_x, train_y, val_x, val_y = source.load()
    rng = np.random.default_rng(data_seed)

    def subset(x: np.ndarray, y: np.ndarray, n: int | None, what: str):
        if n is None:
            return x, y
        if n > len(x):
            raise InvalidInputError(
                f"{what}_size={n} but {source.describe()} has {len(x)} {what} images"
            )
        rows = np.sort(rng.choice(len(x), size=n, replace=False))
        return x[rows], y[rows]

    train_x, train_y = subset(train_x, train_y, train_size, "train")
    val_x, val_y = subset(val_x, val_y, val_size, "val")

    def tensor(x: np.ndarray) -> torch.Tensor:
        t = normalise(x, dataset)
        if image_size != t.shape[-1]:
            # area averaging: the downsampled image is the mean of each pixel block
            t = F.interpolate(t, size=(image_size, image_size), mode="area")
        return t.contiguous()

    return PreparedData(
        tensor(train_x),
        torch.from_numpy(train_y.astype(np.int64)),
        tensor(val_x),
        torch.from_numpy(val_y.astype(np.int64)),
    )


def build_space(space_name: str, protocol: TrainingProtocol) -> SearchSpace:
    """The space with the protocol's network hyper-parameters (those its constructor takes)."""
    space = get_space(space_name)
    params = inspect.signature(type(space).__init__).parameters
    wanted = {k: getattr(protocol, k) for k in ("C", "N") if k in params}
    return type(space)(**wanted) if wanted else space


@contextmanager
def _deterministic(device: torch.device) -> Iterator[None]:
    """Deterministic torch kernels for the duration (restored after: the serial
    backend trains in the caller's process)."""
    before = torch.are_deterministic_algorithms_enabled()
    before_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    cudnn = (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
    torch.use_deterministic_algorithms(True, warn_only=True)
    if device.type == "cuda":
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(before, warn_only=before_warn)
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = cudnn


def augment_batch(x: torch.Tensor, padding: int, generator: torch.Generator) -> torch.Tensor:
    """Random crop (``padding`` px of zeros around, then the original size) and a
    random horizontal flip, chosen per image by ``generator`` (a CPU generator, so
    the draws are the same on every device)."""
    b, _, h, w = x.shape
    if padding > 0:
        padded = F.pad(x, (padding, padding, padding, padding))
        dy = torch.randint(0, 2 * padding + 1, (b,), generator=generator).to(x.device)
        dx = torch.randint(0, 2 * padding + 1, (b,), generator=generator).to(x.device)
        rows = (dy[:, None] + torch.arange(h, device=x.device))[:, :, None]  # (b, h, 1)
        cols = (dx[:, None] + torch.arange(w, device=x.device))[:, None, :]  # (b, 1, w)
        batch = torch.arange(b, device=x.device)[:, None, None]
        # advanced indexing on dims 0, 2, 3 puts channels last: (b, h, w, c)
        x = padded.permute(0, 2, 3, 1)[batch, rows, cols].permute(0, 3, 1, 2)
    flip = (torch.rand(b, generator=generator) < 0.5).to(x.device)
    return torch.where(flip[:, None, None, None], x.flip(3), x).contiguous()


def _evaluate(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int, device: torch.device
) -> tuple[float, float]:
    """Mean cross-entropy and accuracy (percent) of ``model`` in eval mode."""
    model.eval()
    loss_sum, correct = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(x), batch_size):
            xb = x[start : start + batch_size].to(device)
            yb = y[start : start + batch_size].to(device)
            logits = model(xb)
            loss_sum += float(F.cross_entropy(logits, yb, reduction="sum"))
            correct += int((logits.argmax(1) == yb).sum())
    return loss_sum / len(x), 100.0 * correct / len(x)


def _finite(value: float) -> float | None:
    # JSON has no NaN/inf: a diverged run's loss is written as null
    return value if math.isfinite(value) else None


def _init_proxies(
    space: SearchSpace,
    arch: Any,
    protocol: TrainingProtocol,
    seed: int,
    prepared: PreparedData,
    device: torch.device,
) -> tuple[dict[str, float | None], dict[str, float]]:
    """The protocol's proxies on the arch's network as initialised by ``seed`` (the
    engine seeds it as training does), on the first training images of a fixed
    ``data_seed`` draw; a failed proxy scores None."""
    if not protocol.proxies:
        return {}, {}
    from naspred.proxies import score_archs

    rng = np.random.default_rng(protocol.data_seed)
    n = min(protocol.proxy_batch_size, len(prepared.train_x))
    rows = torch.from_numpy(np.sort(rng.choice(len(prepared.train_x), size=n, replace=False)))
    batch = (prepared.train_x[rows], prepared.train_y[rows])
    scores, times = score_archs(
        space, [arch], list(protocol.proxies), protocol.dataset, batch, seed=seed, device=device
    )
    return (
        {name: _finite(float(v[0])) for name, v in scores.items()},
        {name: float(t[0]) for name, t in times.items()},
    )


def train_arch(
    space_name: str,
    key: str,
    protocol: TrainingProtocol,
    seed: int,
    data: DataSource | PreparedData,
    device: str | torch.device = "cpu",
) -> dict[str, Any]:
    """Train arch ``key`` of ``space_name`` from scratch under ``protocol``; return its record.

    Args:
        space_name: a registered space (``"nasbench201"``).
        key: the arch's benchmark key.
        protocol: the training protocol.
        seed: seeds initialisation, minibatch order and augmentation.
        data: the images (a :class:`DataSource`, loaded and prepared once per process,
            or already :func:`prepare_data`-d tensors).
        device: where to train (``"cpu"``, ``"cuda"``, ``"cuda:1"``).

    Returns:
        The learning-curve record (one line of the benchmark file): ``arch``, ``seed``,
        ``epochs``, per-epoch lists ``train_loss``, ``train_accuracy``, ``val_loss``,
        ``val_accuracy`` (percent), ``epoch_time`` (seconds of training) and
        ``eval_time`` (seconds of validation), ``params`` and ``flops`` (millions, from
        the space's ``complexity`` in the benchmark convention at the dataset's native
        input size, None where the space has none), ``total_time`` (seconds, from
        building the network to the end) and ``device``. Non-finite losses (a diverged
        run) are None.
    """
    device = torch.device(device)
    prepared = data if isinstance(data, PreparedData) else prepare_data(data, protocol)
    started = time.perf_counter()  # after the (once per process) data preparation
    space = build_space(space_name, protocol)
    arch = space.from_key(key)
    try:
        params, flops = space.complexity(arch, protocol.dataset)  # type: ignore[attr-defined]
    except (AttributeError, NotImplementedError):
        params, flops = None, None

    n_train = len(prepared.train_x)
    steps_per_epoch = math.ceil(n_train / protocol.batch_size)
    if n_train % protocol.batch_size == 1 and steps_per_epoch > 1:
        steps_per_epoch -= 1  # a 1-image batch breaks batch norm in train mode: drop it
    total_steps = protocol.epochs * steps_per_epoch

    curves: dict[str, list[float | None]] = {
        name: []
        for name in (
            "train_loss",
            "train_accuracy",
            "val_loss",
            "val_accuracy",
            "epoch_time",
            "eval_time",
        )
    }
    scores, proxy_time = _init_proxies(space, arch, protocol, seed, prepared, device)
    with _deterministic(device):
        torch.manual_seed(seed)
        model = space.build_network(arch, protocol.dataset).to(device)
        optimiser = torch.optim.SGD(
            model.parameters(),
            lr=protocol.lr,
            momentum=protocol.momentum,
            weight_decay=protocol.weight_decay,
            nesterov=protocol.nesterov and protocol.momentum > 0,
        )
        order_rng = np.random.default_rng(seed)
        aug_gen = torch.Generator().manual_seed(seed)
        step = 0
        for _ in range(protocol.epochs):
            tic = time.perf_counter()
            model.train()
            perm = torch.from_numpy(order_rng.permutation(n_train))
            loss_sum, correct, seen = 0.0, 0, 0
            for s in range(steps_per_epoch):
                rows = perm[s * protocol.batch_size : (s + 1) * protocol.batch_size]
                xb = prepared.train_x[rows].to(device)
                yb = prepared.train_y[rows].to(device)
                if protocol.augment:
                    xb = augment_batch(xb, protocol.crop_padding, aug_gen)
                if protocol.lr_schedule == "cosine":
                    lr = protocol.lr * 0.5 * (1.0 + math.cos(math.pi * step / total_steps))
                    for group in optimiser.param_groups:
                        group["lr"] = lr
                logits = model(xb)
                loss = F.cross_entropy(logits, yb, label_smoothing=protocol.label_smoothing)
                optimiser.zero_grad(set_to_none=True)
                loss.backward()
                optimiser.step()
                step += 1
                loss_sum += float(loss.detach()) * len(rows)
                correct += int((logits.detach().argmax(1) == yb).sum())
                seen += len(rows)
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            epoch_time = time.perf_counter() - tic
            tic = time.perf_counter()
            val_loss, val_acc = _evaluate(
                model, prepared.val_x, prepared.val_y, protocol.eval_batch_size, device
            )
            curves["train_loss"].append(_finite(loss_sum / seen))
            curves["train_accuracy"].append(100.0 * correct / seen)
            curves["val_loss"].append(_finite(val_loss))
            curves["val_accuracy"].append(val_acc)
            curves["epoch_time"].append(epoch_time)
            curves["eval_time"].append(time.perf_counter() - tic)
    return {
        "arch": key,
        "seed": int(seed),
        "epochs": protocol.epochs,
        **curves,
        "params": params,
        "flops": flops,
        **({"proxies": scores, "proxy_time": proxy_time} if protocol.proxies else {}),
        "total_time": time.perf_counter() - started,
        "device": str(device),
    }
