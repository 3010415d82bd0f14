"""Minibatches for zero-cost proxies.

Every proxy dataset of :data:`DATASETS` (CIFAR-10/100, ImageNet16-120 and the three
NAS-Bench-360 tasks svhn, scifar100, ninapro) has its input shape, class count,
normalisation and a reader of its publisher's files. Sources, all giving
normalised ``float32`` images ``(B, *shape)`` and ``int64`` labels:

* :func:`load_images` reads a dataset from its publisher's files: CIFAR-10/100 from a
  torchvision-format directory (:func:`load_cifar`, the ``cifar-10-batches-py`` /
  ``cifar-100-python`` pickle layout, read by our own code; with ``download=True``
  it fetches the official archive first), the others by
  :mod:`naspred.data.publisher_readers`. Given no directory it reads the copy
  ``naspred data fetch <source>`` put in naspred's data cache.
* :func:`load_npz_sample` reads an ``.npz`` with ``train_x`` (NCHW, uint8, or
  float32 for the float datasets) and ``train_y``, such as the CIFAR-10 sample the
  tests use, and refuses one of another shape, dtype or label range, naming the
  file and the array.
* :func:`noise_batch` is the documented *fallback* for offline first runs:
  seeded standard-normal images (already in normalised units) with seeded
  uniform labels. It is logged as a warning every time it is used, because
  data-dependent proxies computed on noise do not equal those on real images.

:class:`BatchProvider` picks among them (:meth:`BatchProvider.from_source`) and
draws seeded minibatches; :func:`get_batch` is the one-call shortcut.
"""

from __future__ import annotations

import hashlib
import logging
import tarfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from naspred.data.publisher_readers import READERS
from naspred.errors import BenchmarkFileError, DataUnavailableError, InvalidInputError
from naspred.fetch import download as download_file
from naspred.fetch import fetched_dir, get_source
from naspred.safe_pickle import NUMPY_GLOBALS, load_restricted
from naspred.spaces.nasbench201 import DATASETS as NB201_DATASETS

log = logging.getLogger(__name__)

#: Per-channel mean and std of the CIFAR training images (in [0, 1] units), as used
#: by NAS-Bench-201 and NAS-Bench-Suite-Zero for normalisation.
CIFAR_MEAN: dict[str, tuple[float, float, float]] = {
    "cifar10": (0.4914, 0.4822, 0.4465),
    "cifar100": (0.5071, 0.4865, 0.4409),
}
CIFAR_STD: dict[str, tuple[float, float, float]] = {
    "cifar10": (0.2470, 0.2435, 0.2616),
    "cifar100": (0.2673, 0.2564, 0.2762),
}


@dataclass(frozen=True)
class DatasetSpec:
    """One proxy dataset: what its networks take and how its images are read.

    Attributes:
        num_classes: the classifier's outputs.
        shape: one input ``(C, H, W)``.
        mean: per-channel mean in [0, 1] units, or None where the published images
            are used as they are (the float NAS-Bench-360 tasks).
        std: per-channel std in [0, 1] units (None with ``mean``).
        source: the ``naspred data fetch`` source of its files.
    """

    num_classes: int
    shape: tuple[int, int, int]
    mean: tuple[float, ...] | None
    std: tuple[float, ...] | None
    source: str


def _spec(
    name: str, mean: tuple[float, ...] | None, std: tuple[float, ...] | None, source: str
) -> DatasetSpec:
    # class counts and input shapes are the NB201 space's (they reproduce
    # NAS-Bench-Suite-Zero's stored params/FLOPs); stated once, there
    num_classes, shape = NB201_DATASETS[name]
    return DatasetSpec(num_classes, shape, mean, std, source)


#: Every dataset the proxy engine reads. Shapes and class counts come from
#: :data:`naspred.spaces.nasbench201.DATASETS`. ImageNet16-120: NB201's mean/std
#: (122.68, 116.66, 104.01) / (63.22, 61.26, 65.09) over 255 (D-X-Y/AutoDL-Projects
#: ``get_datasets``). svhn: the training-set mean/std commonly used with SVHN
#: (0.4377, 0.4438, 0.4728) / (0.1980, 0.2010, 0.1970). scifar100 and ninapro:
#: NAS-Bench-360's loaders (rtu715/NAS-Bench-360 ``load_scifar100_data``,
#: ``load_ninapro``) cast the published floats to float32 and do not normalise, so
#: neither do we.
DATASETS: dict[str, DatasetSpec] = {
    "cifar10": _spec("cifar10", CIFAR_MEAN["cifar10"], CIFAR_STD["cifar10"], "cifar10"),
    "cifar100": _spec("cifar100", CIFAR_MEAN["cifar100"], CIFAR_STD["cifar100"], "cifar100"),
    "ImageNet16-120": _spec(
        "ImageNet16-120",
        (122.68 / 255, 116.66 / 255, 104.01 / 255),
        (63.22 / 255, 61.26 / 255, 65.09 / 255),
        "imagenet16-120",
    ),
    "svhn": _spec("svhn", (0.4377, 0.4438, 0.4728), (0.1980, 0.2010, 0.1970), "nb360-svhn"),
    "scifar100": _spec("scifar100", None, None, "nb360-scifar100"),
    "ninapro": _spec("ninapro", None, None, "nb360-ninapro"),
}
#: dataset -> number of classes (from :data:`DATASETS`).
NUM_CLASSES: dict[str, int] = {name: spec.num_classes for name, spec in DATASETS.items()}
_CANONICAL = {name.lower(): name for name in DATASETS}
#: Minibatch size of NAS-Bench-Suite-Zero's records: its stored ``jacov`` sits
#: just under ``-32`` (the score's maximum is ``-B``) and ``epe_nas`` at the
#: magnitude a batch of 32 gives.
DEFAULT_BATCH_SIZE = 32

# dataset -> (folder inside the root, training files, label key); the archives' URLs and
# checksums are those of the naspred.fetch sources of the same name
_LAYOUT: dict[str, tuple[str, tuple[str, ...], str]] = {
    "cifar10": ("cifar-10-batches-py", tuple(f"data_batch_{i}" for i in range(1, 6)), "labels"),
    "cifar100": ("cifar-100-python", ("train",), "fine_labels"),
}
_TEST_FILES = {"cifar10": ("test_batch",), "cifar100": ("test",)}


def _check_dataset(dataset: str) -> str:
    """The table's name of ``dataset`` (case-insensitive), or :class:`InvalidInputError`."""
    name = _CANONICAL.get(str(dataset).lower())
    if name is None:
        raise InvalidInputError(f"unknown dataset {dataset!r}; known: {', '.join(DATASETS)}")
    return name


def _check_cifar(dataset: str) -> str:
    name = _check_dataset(dataset)
    if name not in _LAYOUT:
        raise InvalidInputError(
            f"{name} is not read as a CIFAR directory; known: {', '.join(_LAYOUT)} "
            "(read the others with load_images)"
        )
    return name


def download_cifar(root: str | Path, dataset: str = "cifar10") -> Path:
    """Fetch (resumably, md5-checked, by :func:`naspred.fetch.download`) and unpack the
    official CIFAR archive into ``root``; return the folder.

    Raises :class:`DataUnavailableError` with the URL and the expected layout when
    the machine is offline, so the user can fetch the archive by hand.

    Args:
        root: the directory to unpack into.
        dataset: ``cifar10`` or ``cifar100``.
    """
    dataset = _check_cifar(dataset)
    folder = _LAYOUT[dataset][0]
    root = Path(root).expanduser()
    [remote] = get_source(dataset).files
    archive = root / remote.name
    if not archive.is_file():
        log.info("downloading %s to %s", remote.urls[0], archive)
        download_file(
            remote.urls,
            archive,
            md5=remote.md5,
            size=remote.size,
            manual=f"fetch {remote.name} by hand and unpack it under {root} (it contains the "
            f"folder {folder}/), or use the offline fallback source='noise'",
        )
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(root, filter="data")
    return root / folder


def load_cifar(
    root: str | Path | None = None,
    dataset: str = "cifar10",
    train: bool = True,
    download: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(n, 3, 32, 32)`` uint8 and labels ``(n,)`` int64 from a torchvision-format
    directory: ``root/cifar-10-batches-py/data_batch_1..5`` (or ``test_batch``), or
    ``root/cifar-100-python/train`` (or ``test``), each a pickled dict with ``b"data"``
    (n x 3072 uint8, channel-major) and ``b"labels"`` / ``b"fine_labels"``.
    ``root`` may also be the dataset folder itself.

    Args:
        root: the directory; None reads the copy ``naspred data fetch <dataset>`` put in
            naspred's data cache (an explicit ``root`` always wins).
        dataset: ``cifar10`` or ``cifar100``.
        train: the training images, else the test images.
        download: fetch the archive into ``root`` when it is not there.
    """
    dataset = _check_cifar(dataset)
    folder, train_files, label_key = _LAYOUT[dataset]
    if root is None:
        root = fetched_dir(dataset)
        if root is None:
            raise DataUnavailableError(
                f"no {dataset} directory given and none fetched; run `naspred data fetch "
                f"{dataset}` or give the directory (--data-root)"
            )
    root = Path(root).expanduser()
    base = root if root.name == folder else root / folder
    files = train_files if train else _TEST_FILES[dataset]
    if not all((base / f).is_file() for f in files):
        if download:
            base = download_cifar(root, dataset)
        else:
            raise DataUnavailableError(
                f"{dataset} not found under {root}: expected {folder}/ with "
                f"{', '.join(files)} (the torchvision layout); pass download=True to fetch it"
            )
    images, labels = [], []
    for name in files:
        # the batches are pickles: read restricted, so a tampered download runs nothing
        entry = load_restricted(
            base / name,
            NUMPY_GLOBALS,
            admits="dicts, lists, numbers, strings and numpy arrays",
            hints=("the CIFAR python batches (torchvision layout)",),
            encoding="bytes",
        )
        # torchvision-written files use bytes keys; accept str keys as well
        data = entry.get(b"data", entry.get("data"))
        lab = entry.get(label_key.encode(), entry.get(label_key))
        if data is None or lab is None:
            raise DataUnavailableError(
                f"{base / name} is not a CIFAR batch file (no 'data' / {label_key!r} entry)"
            )
        images.append(np.asarray(data, dtype=np.uint8).reshape(-1, 3, 32, 32))
        labels.append(np.asarray(lab, dtype=np.int64))
    return np.concatenate(images), np.concatenate(labels)


def load_images(
    dataset: str,
    root: str | Path | None = None,
    train: bool = True,
    download: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(n, *shape)`` (uint8, or float32 for scifar100 and ninapro) and labels
    ``(n,)`` int64 of any dataset of :data:`DATASETS`, read from its publisher's files.

    Args:
        dataset: a name of :data:`DATASETS` (case-insensitive).
        root: the directory holding the files; None reads the copy ``naspred data
            fetch <source>`` put in naspred's data cache (an explicit ``root`` wins).
        train: the training images, else the test (ImageNet16-120: validation) ones.
        download: fetch a CIFAR archive into ``root`` when it is not there (CIFAR only:
            the other sources are fetched with ``naspred data fetch``).

    Raises:
        DataUnavailableError: the files are not there, naming the fetch command.
        BenchmarkFileError: a file does not have its publisher's layout.
    """
    dataset = _check_dataset(dataset)
    if dataset in _LAYOUT:
        return load_cifar(root, dataset, train=train, download=download)
    source = DATASETS[dataset].source
    if download:
        raise InvalidInputError(
            f"download=True fetches CIFAR only; fetch {dataset} with `naspred data fetch {source}`"
        )
    if root is None:
        root = fetched_dir(source)
        if root is None:
            raise DataUnavailableError(
                f"no {dataset} directory given and none fetched; run `naspred data fetch "
                f"{source}` or give the directory (--data-root)"
            )
    return READERS[dataset](Path(root).expanduser(), train)


def load_npz_sample(
    path: str | Path,
    train: bool = True,
    num_classes: int | None = None,
    shape: tuple[int, ...] = (3, 32, 32),
    floating: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` from an npz holding ``train_x``/``train_y`` (and ``test_x``/``test_y``):
    images ``(n, *shape)`` (uint8, or float32 if ``floating``), integer labels ``(n,)``.

    Args:
        path: the ``.npz`` file.
        train: the ``train_`` arrays, else the ``test_`` ones.
        num_classes: if given, every label must lie in ``0..num_classes-1`` (labels
            are never wrapped into range: a label out of range means the file is not
            of this dataset).
        shape: the shape of one image (channels first).
        floating: the images are float32 (the float datasets' published values)
            rather than uint8 pixels.

    Raises:
        DataUnavailableError: there is no file at ``path``.
        BenchmarkFileError: naming the file, the array and the expected shape, for a
            file that is not an npz, lacks an array, or holds arrays of another
            shape, dtype or label range.
    """
    path = Path(path)
    if not path.is_file():
        raise DataUnavailableError(f"no sample file at {path}")
    split = "train" if train else "test"
    kind = "float32" if floating else "uint8"
    dims = ", ".join(str(d) for d in shape)
    layout = f"{split}_x {kind} (n, {dims}) and {split}_y integer labels (n,)"
    try:
        data = np.load(path, allow_pickle=False)
    except ValueError:  # numpy's message here suggests unpickling the file: not for us
        raise BenchmarkFileError(path, "not an .npz file (a zip of .npy arrays)", layout) from None
    except OSError as err:
        raise BenchmarkFileError(path, f"cannot be read ({err})", layout) from None
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise BenchmarkFileError(path, "holds one array, not an .npz of named arrays", layout)
    with data:
        missing = [k for k in (f"{split}_x", f"{split}_y") if k not in data.files]
        if missing:
            raise BenchmarkFileError(
                path, f"no array {', '.join(missing)} (it has {', '.join(data.files)})", layout
            )
        try:
            x, y = data[f"{split}_x"], data[f"{split}_y"]
        except ValueError as err:  # an object array, which would need pickle
            raise BenchmarkFileError(path, f"unreadable array ({err})", layout) from None
    _check_sample(path, split, x, y, num_classes, layout, tuple(shape), floating)
    return (x.astype(np.float32) if floating else x), y.astype(np.int64)


def _check_sample(
    path: Path,
    split: str,
    x: np.ndarray,
    y: np.ndarray,
    num_classes: int | None,
    layout: str,
    shape: tuple[int, ...],
    floating: bool,
) -> None:
    """Raise :class:`BenchmarkFileError` unless ``x``/``y`` are images and their labels."""
    dtype_ok = np.issubdtype(x.dtype, np.floating) if floating else x.dtype == np.uint8
    if not dtype_ok or x.ndim != 1 + len(shape) or x.shape[1:] != shape:
        kind = "float" if floating else "uint8"
        dims = ", ".join(str(d) for d in shape)
        raise BenchmarkFileError(
            path,
            f"{split}_x is {x.dtype} {x.shape}, not {kind} (n, {dims}) (channels first)",
            layout,
        )
    if not np.issubdtype(y.dtype, np.integer) or y.shape != (len(x),):
        raise BenchmarkFileError(
            path,
            f"{split}_y is {y.dtype} {y.shape}, not integer labels ({len(x)},), one per image",
            layout,
        )
    if len(y) and (int(y.min()) < 0 or (num_classes is not None and int(y.max()) >= num_classes)):
        allowed = f"0..{num_classes - 1}" if num_classes is not None else ">= 0"
        raise BenchmarkFileError(
            path,
            f"{split}_y holds labels {int(y.min())}..{int(y.max())}, outside {allowed}",
            f"labels {allowed} (the dataset's classes)",
        )


def normalise(images: np.ndarray, dataset: str = "cifar10") -> torch.Tensor:
    """NCHW images -> float32 tensor as the dataset's networks take them: uint8 pixels
    scaled to [0, 1], then standardised per channel where :data:`DATASETS` gives a
    mean/std; float images (scifar100, ninapro) as they are unless it gives one.

    Args:
        images: ``(n, *shape)`` uint8 or float.
        dataset: a name of :data:`DATASETS`.
    """
    spec = DATASETS[_check_dataset(dataset)]
    x = torch.from_numpy(np.ascontiguousarray(images)).float()
    if images.dtype == np.uint8:
        x = x.div_(255.0)
    if spec.mean is None or spec.std is None:
        return x
    channels = len(spec.mean)
    mean = torch.tensor(spec.mean).view(1, channels, 1, 1)
    std = torch.tensor(spec.std).view(1, channels, 1, 1)
    return (x - mean) / std


def noise_batch(
    batch_size: int, num_classes: int, seed: int, shape: tuple[int, ...] = (3, 32, 32)
) -> tuple[torch.Tensor, torch.Tensor]:
    """The offline fallback: standard-normal images (the scale of normalised data) and
    uniform labels, both from ``seed``.

    Args:
        batch_size: images in the batch.
        num_classes: labels are drawn from ``0..num_classes-1``.
        seed: the generator's seed.
        shape: one image's shape (a dataset's :attr:`DatasetSpec.shape`).
    """
    gen = torch.Generator().manual_seed(int(seed))
    x = torch.randn((batch_size, *shape), generator=gen)
    y = torch.randint(num_classes, (batch_size,), generator=gen)
    return x, y


@dataclass
class BatchProvider:
    """Seeded minibatches from one image pool (or from noise, the fallback).

    ``images`` NCHW of the dataset's shape (uint8, or float32 for the float datasets)
    and ``labels`` int64, or both None for the noise fallback.
    :meth:`batch` draws ``batch_size`` distinct images chosen by ``seed``, so the
    same seed always gives the same batch.
    """

    dataset: str
    images: np.ndarray | None
    labels: np.ndarray | None
    source: str

    @property
    def num_classes(self) -> int:
        """Number of classes of :attr:`dataset` (from :data:`DATASETS`)."""
        return NUM_CLASSES[_check_dataset(self.dataset)]

    @property
    def identity(self) -> str:
        """What the images are, independent of where they lie: the pool's name (a sample's
        file name, or ``<dataset> train``), its size and a sha256 of its images and
        labels; ``gaussian noise`` for the fallback. Resumed runs compare this, so a
        moved or re-fetched copy of the same images resumes and other images do not."""
        if self.images is None or self.labels is None:
            return "gaussian noise"
        digest = hashlib.sha256()
        for array in (self.images, self.labels.astype(np.int64)):
            digest.update(str(array.shape).encode())
            digest.update(np.ascontiguousarray(array).tobytes())
        return f"{self.pool}: {len(self.images)} images sha256:{digest.hexdigest()[:16]}"

    @property
    def pool(self) -> str:
        """The pool's location-free name: ``sample <file name>``, ``<dataset> train``, or
        ``gaussian noise``."""
        return pool_name(self.source)

    @property
    def is_fallback(self) -> bool:
        """Whether batches are Gaussian noise (no image pool was found) rather than images."""
        return self.images is None

    @classmethod
    def from_source(
        cls,
        dataset: str = "cifar10",
        root: str | Path | None = None,
        npz: str | Path | None = None,
        download: bool = False,
        fallback: bool = True,
    ) -> BatchProvider:
        """The first that works of: the dataset's directory ``root`` (downloading CIFAR
        when asked), the ``npz`` sample, the dataset's copy in naspred's data cache when
        neither is given (``naspred data fetch <source>``: ``cifar10``, ``cifar100``,
        ``imagenet16-120``, ``nb360-svhn``, ``nb360-scifar100``, ``nb360-ninapro``), and
        (if ``fallback``, and only when neither ``root`` nor ``npz`` was given) Gaussian
        noise of the dataset's shape, logged as a warning. A given ``root`` or ``npz``
        that cannot be read is an error, never noise.

        ``npz`` holds images of ``dataset``: of its shape and pixel type (float32 for
        scifar100 and ninapro), with labels in its class range (a file with labels
        outside it is refused, never wrapped).

        Args:
            dataset: a name of :data:`DATASETS` (case-insensitive).
            root: the directory holding the dataset's published files.
            npz: an ``.npz`` sample of the dataset.
            download: fetch a CIFAR archive into ``root`` when it is not there.
            fallback: allow the noise fallback when no data was given or fetched.
        """
        dataset = _check_dataset(dataset)
        spec = DATASETS[dataset]
        reasons = []
        if root is not None:
            try:
                x, y = load_images(dataset, root, train=True, download=download)
                return cls(dataset, x, y, f"{dataset} from {root}")
            except DataUnavailableError as err:
                reasons.append(str(err))
        if npz is not None:
            try:
                x, y = load_npz_sample(
                    npz,
                    num_classes=spec.num_classes,
                    shape=spec.shape,
                    floating=spec.mean is None,
                )
                return cls(dataset, x, y, f"sample {npz}")
            except DataUnavailableError as err:
                reasons.append(str(err))
        if reasons:
            # data was asked for and none of it could be read: an error, never noise
            raise DataUnavailableError("no image data for proxies: " + "; ".join(reasons))
        fetched = fetched_dir(spec.source)
        if fetched is not None:
            x, y = load_images(dataset, fetched, train=True)
            return cls(dataset, x, y, f"{dataset} from {fetched} (fetched)")
        if not fallback:
            # reasons is empty here: a failed root or npz raised above
            raise DataUnavailableError(
                f"no {dataset} images for proxies: no root or npz given and none fetched; run "
                f"`naspred data fetch {spec.source}` or give --data-root / --npz"
            )
        log.warning(
            "no %s images available (%s); FALLING BACK to seeded Gaussian-noise batches: "
            "data-dependent proxy scores will differ from those on real data",
            dataset,
            "; ".join(reasons) or "no root or npz given",
        )
        return cls(dataset, None, None, "gaussian noise (fallback)")

    def batch(
        self, batch_size: int = DEFAULT_BATCH_SIZE, seed: int = 0
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(x, y)``: ``batch_size`` normalised images and their labels, chosen by ``seed``."""
        if self.images is None or self.labels is None:
            log.warning("proxy batch from Gaussian noise (offline fallback), seed %d", seed)
            shape = DATASETS[_check_dataset(self.dataset)].shape
            return noise_batch(batch_size, self.num_classes, seed, shape)
        n = len(self.images)
        if batch_size > n:
            raise InvalidInputError(f"batch of {batch_size} asked from {n} images ({self.source})")
        rows = np.sort(np.random.default_rng(seed).choice(n, size=batch_size, replace=False))
        x = normalise(self.images[rows], self.dataset)
        return x, torch.from_numpy(self.labels[rows].astype(np.int64))


def pool_name(source: str) -> str:
    """The location-free name of an image pool from its :attr:`BatchProvider.source`
    label (``sample /a/b/x.npz`` -> ``sample x.npz``; ``cifar10 from /root`` ->
    ``cifar10 train``; the noise fallback -> ``gaussian noise``)."""
    if source.startswith("sample "):
        return f"sample {Path(source[len('sample ') :]).name}"
    if " from " in source:
        return f"{source.split(' from ', 1)[0]} train"
    return "gaussian noise" if source.startswith("gaussian noise") else source


def get_batch(
    dataset: str = "cifar10",
    batch_size: int = DEFAULT_BATCH_SIZE,
    seed: int = 0,
    root: str | Path | None = None,
    npz: str | Path | None = None,
    download: bool = False,
    fallback: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One seeded minibatch from the first available source (see
    :meth:`BatchProvider.from_source`)."""
    provider = BatchProvider.from_source(dataset, root, npz, download, fallback)
    return provider.batch(batch_size, seed)
