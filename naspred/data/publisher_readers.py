"""Readers of the publishers' own files for the non-CIFAR proxy datasets.

Each reader takes the directory holding the published files (as ``naspred data
fetch <source>`` leaves them) and returns images ``(n, C, H, W)`` and labels
``(n,)`` int64, in the layout the proxy networks take:

* ImageNet16-120 (Chrabaszcz et al. 2017, as NAS-Bench-201 uses it): the pickled
  batches ``train_data_batch_1..10`` / ``val_data``, dicts with ``data`` (n, 768)
  uint8, channel-major 3x16x16, and ``labels`` 1-based over 1000 classes. NB201
  keeps classes 1..120 (``use_num_of_class_only=120`` of its ``ImageNet16``
  dataset, D-X-Y/AutoDL-Projects), shifted here to 0..119.
* svhn (Netzer et al. 2011, the Stanford ``train_32x32.mat`` / ``test_32x32.mat``):
  MATLAB files with ``X`` (32, 32, 3, n) uint8 and ``y`` (n, 1) in 1..10, where 10
  is the digit 0 (mapped to 0, as torchvision's ``SVHN`` does).
* scifar100 (NAS-Bench-360, Tu et al. NeurIPS 2022 D&B): ``s2_cifar100.gz``, a
  gzipped pickle ``{"train": {"images", "labels"}, "test": {...}}`` with float
  images (n, 3, 60, 60); NAS-Bench-360's ``load_scifar100_data``
  (github.com/rtu715/NAS-Bench-360, its data utilities) casts them to float32
  and uses them as they are.
* ninapro (NinaPro DB5 as NAS-Bench-360 processed it): ``ninapro_<split>.npy``
  (n, 52, 16) float windows (52 time steps x 16 EMG channels) and
  ``label_<split>.npy`` (n,) in 0..17; NAS-Bench-360's ``load_ninapro``
  transposes each window to (16, 52) and adds one channel axis, giving
  (n, 1, 16, 52) float32, unnormalised.

Every reader refuses a malformed file with :class:`BenchmarkFileError` naming the
file, the array and the expected layout, and a missing one with
:class:`DataUnavailableError` naming the fetch command and ``--data-root``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from naspred.errors import BenchmarkFileError, DataUnavailableError
from naspred.safe_pickle import NUMPY_GLOBALS, load_restricted

#: ImageNet16-120 keeps the first 120 of the 1000 (1-based) ImageNet classes.
IMAGENET16_CLASSES = 120

_IMAGENET16_LAYOUT = (
    "a pickled dict with 'data' (n, 768) uint8 (3x16x16, channel-major) and 'labels' 1..1000"
)
_SVHN_LAYOUT = "a MATLAB file with 'X' uint8 (32, 32, 3, n) and 'y' (n, 1) labels 1..10"
_SCIFAR_LAYOUT = (
    "a gzipped pickle {'train': {'images': float (n, 3, 60, 60), 'labels': (n,)}, 'test': {...}}"
)
_NINAPRO_LAYOUT = (
    "ninapro_<split>.npy float (n, 52, 16) and label_<split>.npy integers (n,) in 0..17"
)


def _require(root: Path, files: tuple[str, ...], dataset: str, source: str) -> None:
    """Raise :class:`DataUnavailableError` unless every one of ``files`` is in ``root``."""
    missing = [f for f in files if not (root / f).is_file()]
    if missing:
        raise DataUnavailableError(
            f"{dataset} not found under {root}: missing {', '.join(missing)}; run "
            f"`naspred data fetch {source}` or give the directory holding them (--data-root)"
        )


def _labels(path: Path, name: str, raw: object, n: int, layout: str) -> np.ndarray:
    """``raw`` as int64 labels ``(n,)``, or :class:`BenchmarkFileError`."""
    y = np.asarray(raw)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if not np.issubdtype(y.dtype, np.integer) and not (
        np.issubdtype(y.dtype, np.floating) and np.all(np.mod(y, 1) == 0)
    ):
        raise BenchmarkFileError(path, f"{name} is {y.dtype}, not integer labels", layout)
    if y.shape != (n,):
        raise BenchmarkFileError(path, f"{name}: shape {y.shape}, not ({n},)", layout)
    return y.astype(np.int64)


def read_imagenet16(root: Path, train: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """ImageNet16-120: uint8 ``(n, 3, 16, 16)`` and labels 0..119 (classes 1..120 only).

    Args:
        root: the folder with ``train_data_batch_1..10`` and ``val_data``.
        train: the training batches, else ``val_data``.
    """
    files = tuple(f"train_data_batch_{i}" for i in range(1, 11)) if train else ("val_data",)
    _require(root, files, "ImageNet16-120", "imagenet16-120")
    images, labels = [], []
    for name in files:
        path = root / name
        entry = load_restricted(
            path,
            NUMPY_GLOBALS,
            admits="dicts, lists, numbers, strings and numpy arrays",
            hints=(_IMAGENET16_LAYOUT,),
            encoding="bytes",
        )
        if not isinstance(entry, dict):
            raise BenchmarkFileError(
                path, f"holds a {type(entry).__name__}, not a dict", _IMAGENET16_LAYOUT
            )
        data = entry.get("data", entry.get(b"data"))
        lab = entry.get("labels", entry.get(b"labels"))
        if data is None or lab is None:
            raise BenchmarkFileError(path, "no 'data' or 'labels' entry", _IMAGENET16_LAYOUT)
        data = np.asarray(data)
        if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 16 * 16:
            raise BenchmarkFileError(
                path, f"'data' is {data.dtype} {data.shape}, not uint8 (n, 768)", _IMAGENET16_LAYOUT
            )
        y = _labels(path, "'labels'", lab, len(data), _IMAGENET16_LAYOUT)
        if len(y) and (y.min() < 1 or y.max() > 1000):
            raise BenchmarkFileError(
                path,
                f"'labels' span {y.min()}..{y.max()}, not 1..1000 (1-based)",
                _IMAGENET16_LAYOUT,
            )
        keep = y <= IMAGENET16_CLASSES
        images.append(data[keep].reshape(-1, 3, 16, 16))
        labels.append(y[keep] - 1)
    return np.concatenate(images), np.concatenate(labels)


def read_svhn(root: Path, train: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """SVHN: uint8 ``(n, 3, 32, 32)`` and labels 0..9 (the file's 10 is the digit 0).

    Args:
        root: the folder with ``train_32x32.mat`` and ``test_32x32.mat``.
        train: ``train_32x32.mat``, else ``test_32x32.mat``.
    """
    import scipy.io  # only this reader needs scipy

    name = "train_32x32.mat" if train else "test_32x32.mat"
    _require(root, (name,), "svhn", "nb360-svhn")
    path = root / name
    try:
        mat = scipy.io.loadmat(path)
    except (ValueError, OSError, TypeError) as err:
        raise BenchmarkFileError(
            path, f"not a readable MATLAB file ({err})", _SVHN_LAYOUT
        ) from None
    missing = [k for k in ("X", "y") if k not in mat]
    if missing:
        raise BenchmarkFileError(path, f"no array {', '.join(missing)}", _SVHN_LAYOUT)
    x = np.asarray(mat["X"])
    if x.dtype != np.uint8 or x.ndim != 4 or x.shape[:3] != (32, 32, 3):
        raise BenchmarkFileError(
            path, f"'X' is {x.dtype} {x.shape}, not uint8 (32, 32, 3, n)", _SVHN_LAYOUT
        )
    y = _labels(path, "'y'", mat["y"], x.shape[3], _SVHN_LAYOUT)
    if len(y) and (y.min() < 1 or y.max() > 10):
        raise BenchmarkFileError(path, f"'y' spans {y.min()}..{y.max()}, not 1..10", _SVHN_LAYOUT)
    # (H, W, C, n) -> (n, C, H, W)
    return np.ascontiguousarray(x.transpose(3, 2, 0, 1)), np.where(y == 10, 0, y)


def read_scifar100(root: Path, train: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Spherical CIFAR-100: float32 ``(n, 3, 60, 60)`` and labels 0..99.

    Args:
        root: the folder with ``s2_cifar100.gz``.
        train: the ``train`` part, else ``test``.
    """
    _require(root, ("s2_cifar100.gz",), "scifar100", "nb360-scifar100")
    path = root / "s2_cifar100.gz"
    entry = load_restricted(
        path,
        NUMPY_GLOBALS,
        admits="dicts, lists, numbers, strings and numpy arrays",
        hints=(_SCIFAR_LAYOUT,),
        encoding="latin1",
        gzipped=True,
    )
    split = "train" if train else "test"
    part = entry.get(split) if isinstance(entry, dict) else None
    if not isinstance(part, dict) or "images" not in part or "labels" not in part:
        raise BenchmarkFileError(
            path, f"no {split!r} dict with 'images' and 'labels'", _SCIFAR_LAYOUT
        )
    x = np.asarray(part["images"])
    if not np.issubdtype(x.dtype, np.floating) or x.ndim != 4 or x.shape[1:] != (3, 60, 60):
        raise BenchmarkFileError(
            path,
            f"{split}['images'] is {x.dtype} {x.shape}, not float (n, 3, 60, 60)",
            _SCIFAR_LAYOUT,
        )
    y = _labels(path, f"{split}['labels']", part["labels"], len(x), _SCIFAR_LAYOUT)
    return x.astype(np.float32), y


def read_ninapro(root: Path, train: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """NinaPro DB5 windows: float32 ``(n, 1, 16, 52)`` and labels 0..17.

    Args:
        root: the folder with ``ninapro_<split>.npy`` and ``label_<split>.npy``.
        train: the ``train`` split, else ``test``.
    """
    split = "train" if train else "test"
    files = (f"ninapro_{split}.npy", f"label_{split}.npy")
    _require(root, files, "ninapro", "nb360-ninapro")
    arrays = []
    for name in files:
        path = root / name
        try:
            arrays.append(np.load(path, allow_pickle=False))
        except (ValueError, OSError) as err:
            raise BenchmarkFileError(
                path, f"not a readable .npy array ({err})", _NINAPRO_LAYOUT
            ) from None
    x, raw = arrays
    path = root / files[0]
    if not np.issubdtype(x.dtype, np.floating) or x.ndim != 3 or x.shape[1:] != (52, 16):
        raise BenchmarkFileError(
            path, f"the windows are {x.dtype} {x.shape}, not float (n, 52, 16)", _NINAPRO_LAYOUT
        )
    y = _labels(root / files[1], "the labels", raw, len(x), _NINAPRO_LAYOUT)
    # (n, time, channel) -> (n, 1, channel, time), as NAS-Bench-360's load_ninapro
    return np.ascontiguousarray(x.transpose(0, 2, 1)[:, None].astype(np.float32)), y


#: dataset -> its reader, for the datasets not read by :func:`naspred.data.images.load_cifar`.
READERS: dict[str, Callable[[Path, bool], tuple[np.ndarray, np.ndarray]]] = {
    "ImageNet16-120": read_imagenet16,
    "svhn": read_svhn,
    "scifar100": read_scifar100,
    "ninapro": read_ninapro,
}
