"""The per-dataset image layer: each publisher's file format, read into proxy batches.

Small files in each publisher's own format are written to tmp_path (a pickle batch for
ImageNet16-120, a .mat for svhn, a gzipped pickle for scifar100, .npy pairs for
ninapro); the shared NAS-Bench-360 records check the networks' params/FLOPs.
"""

from __future__ import annotations

import gzip
import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import torch

from naspred.data.images import DATASETS, BatchProvider, load_images, normalise
from naspred.errors import BenchmarkFileError, DataUnavailableError
from naspred.fetch.home import source_dir
from naspred.proxies.engine import score_archs
from naspred.spaces import get_space
from naspred.spaces.nasbench201 import NasBench201Arch

RNG = np.random.default_rng(0)


def _imagenet16(root: Path, n: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """Write train_data_batch_1..10 and val_data; return batch 1's data and labels."""
    root.mkdir(parents=True, exist_ok=True)
    first = None
    for name in [f"train_data_batch_{i}" for i in range(1, 11)] + ["val_data"]:
        data = RNG.integers(0, 256, (n, 768), dtype=np.uint8)
        # 1-based over 1000 classes: half of them beyond the 120 NB201 keeps
        labels = list(RNG.integers(1, 241, n))
        labels[0], labels[1] = 1, 120
        with (root / name).open("wb") as fh:
            pickle.dump({"data": data, "labels": labels, "mean": np.zeros(768)}, fh)
        first = first or (data, np.asarray(labels))
    return first


def _svhn(root: Path, n: int = 40) -> tuple[np.ndarray, np.ndarray]:
    root.mkdir(parents=True, exist_ok=True)
    x = RNG.integers(0, 256, (32, 32, 3, n), dtype=np.uint8)
    y = RNG.integers(1, 11, (n, 1)).astype(np.uint8)
    y[0, 0], y[1, 0] = 10, 3
    for name in ("train_32x32.mat", "test_32x32.mat"):
        scipy.io.savemat(root / name, {"X": x, "y": y})
    return x, y


def _scifar100(root: Path, n: int = 40, shape=(3, 60, 60)) -> np.ndarray:
    root.mkdir(parents=True, exist_ok=True)
    x = RNG.normal(size=(n, *shape)).astype(np.float64)
    part = {"images": x, "labels": RNG.integers(0, 100, n)}
    with gzip.open(root / "s2_cifar100.gz", "wb") as fh:
        pickle.dump({"train": part, "test": part}, fh)
    return x


def _ninapro(root: Path, n: int = 40) -> np.ndarray:
    root.mkdir(parents=True, exist_ok=True)
    x = RNG.normal(size=(n, 52, 16)).astype(np.float64)
    for split in ("train", "val", "test"):
        np.save(root / f"ninapro_{split}.npy", x)
        np.save(root / f"label_{split}.npy", RNG.integers(0, 18, n))
    return x


def test_imagenet16_keeps_classes_1_to_120_shifted_and_normalises(tmp_path: Path) -> None:
    data, labels = _imagenet16(tmp_path)
    x, y = load_images("ImageNet16-120", tmp_path)
    assert x.dtype == np.uint8 and x.shape[1:] == (3, 16, 16)
    assert y.dtype == np.int64 and y.min() >= 0 and y.max() <= 119
    keep = labels <= 120
    # batch 1 comes first: its kept rows, in order, channel-major
    first = x[: int(keep.sum())]
    np.testing.assert_array_equal(first, data[keep].reshape(-1, 3, 16, 16))
    np.testing.assert_array_equal(y[:2], [0, 119])
    assert (y[: int(keep.sum())] == labels[keep] - 1).all()
    white = normalise(np.full((1, 3, 16, 16), 255, np.uint8), "imagenet16-120")
    assert white[0, 0, 0, 0].item() == pytest.approx((1 - 122.68 / 255) / (63.22 / 255), 1e-5)
    assert white[0, 2, 0, 0].item() == pytest.approx((1 - 104.01 / 255) / (65.09 / 255), 1e-5)
    val_x, _ = load_images("ImageNet16-120", tmp_path, train=False)
    assert len(val_x) < 40  # only val_data, its classes > 120 dropped


def test_svhn_maps_label_10_to_digit_0_and_transposes(tmp_path: Path) -> None:
    raw_x, raw_y = _svhn(tmp_path)
    x, y = load_images("svhn", tmp_path)
    assert x.dtype == np.uint8 and x.shape == (40, 3, 32, 32)
    assert y[0] == 0 and y[1] == 3 and y.max() <= 9
    np.testing.assert_array_equal(y[2:], np.where(raw_y[2:, 0] == 10, 0, raw_y[2:, 0]))
    # image 5, channel 1, row 7, column 11 is X[7, 11, 1, 5]
    assert x[5, 1, 7, 11] == raw_x[7, 11, 1, 5]
    black = normalise(np.zeros((1, 3, 32, 32), np.uint8), "svhn")
    assert black[0, 0, 0, 0].item() == pytest.approx(-0.4377 / 0.1980, 1e-5)


def test_scifar100_and_ninapro_are_float32_unnormalised(tmp_path: Path) -> None:
    raw = _scifar100(tmp_path / "s")
    x, y = load_images("scifar100", tmp_path / "s")
    assert x.dtype == np.float32 and x.shape == (40, 3, 60, 60) and y.dtype == np.int64
    np.testing.assert_allclose(normalise(x[:2], "scifar100").numpy(), raw[:2], rtol=1e-6)
    raw = _ninapro(tmp_path / "n")
    x, y = load_images("ninapro", tmp_path / "n")
    assert x.dtype == np.float32 and x.shape == (40, 1, 16, 52)
    # window 3: EMG channel 5 at time step 9 is the file's [3, 9, 5]
    assert x[3, 0, 5, 9] == np.float32(raw[3, 9, 5])
    assert normalise(x[3:4], "ninapro")[0, 0, 5, 9].item() == pytest.approx(raw[3, 9, 5], 1e-6)


def test_fetched_copies_are_found_without_a_path_and_root_wins(tmp_path: Path) -> None:
    _ninapro(source_dir("nb360-ninapro"))
    provider = BatchProvider.from_source("ninapro", fallback=False)
    assert "(fetched)" in provider.source and provider.num_classes == 18
    x, y = provider.batch(8, seed=1)
    assert x.shape == (8, 1, 16, 52) and x.dtype == torch.float32 and int(y.max()) < 18
    other = tmp_path / "other"
    _ninapro(other, n=20)
    given = BatchProvider.from_source("ninapro", root=other)
    assert len(given.images) == 20 and given.identity != provider.identity


def test_noise_and_npz_take_the_dataset_shape(tmp_path: Path) -> None:
    x, y = BatchProvider.from_source("scifar100").batch(4, seed=0)
    assert x.shape == (4, 3, 60, 60) and int(y.max()) < 100
    good = tmp_path / "nina.npz"
    np.savez(good, train_x=RNG.normal(size=(10, 1, 16, 52)).astype(np.float32),
             train_y=RNG.integers(0, 18, 10))  # fmt: skip
    assert BatchProvider.from_source("ninapro", npz=good).images.shape == (10, 1, 16, 52)
    bad = tmp_path / "bad.npz"
    np.savez(bad, train_x=RNG.integers(0, 256, (10, 3, 32, 32), dtype=np.uint8),
             train_y=RNG.integers(0, 10, 10))  # fmt: skip
    with pytest.raises(BenchmarkFileError, match=r"train_x is uint8 \(10, 3, 32, 32\).*16, 52"):
        BatchProvider.from_source("ninapro", npz=bad)
    with pytest.raises(BenchmarkFileError, match=r"not uint8 \(n, 3, 16, 16\)"):
        BatchProvider.from_source("ImageNet16-120", npz=bad)


@pytest.mark.parametrize(
    ("dataset", "write", "source"),
    [
        ("ImageNet16-120", _imagenet16, "imagenet16-120"),
        ("svhn", _svhn, "nb360-svhn"),
        ("scifar100", _scifar100, "nb360-scifar100"),
        ("ninapro", _ninapro, "nb360-ninapro"),
    ],
)
def test_a_batch_of_each_dataset_scores_an_nb201_arch(tmp_path, dataset, write, source) -> None:
    torch.set_num_threads(1)
    write(tmp_path)
    provider = BatchProvider.from_source(dataset, root=tmp_path)
    batch = provider.batch(8, seed=0)
    assert tuple(batch[0].shape[1:]) == DATASETS[dataset].shape
    arch = NasBench201Arch.from_key("(2, 0, 2, 3, 3, 2)")
    scores, _ = score_archs(get_space("nasbench201"), [arch], ["snip", "synflow"], dataset, batch)
    assert np.isfinite(scores["snip"][0]) and scores["snip"][0] > 0
    assert np.isfinite(scores["synflow"][0]) and scores["synflow"][0] != 0
    # a missing one names the fetch command and the path option
    with pytest.raises(
        DataUnavailableError, match=rf"(?s)naspred data fetch {source}`.*--data-root"
    ):
        load_images(dataset, tmp_path / "absent")
    with pytest.raises(DataUnavailableError, match=rf"naspred data fetch {source}"):
        BatchProvider.from_source(dataset, fallback=False)


def test_malformed_files_name_the_file_the_array_and_the_layout(tmp_path: Path) -> None:
    _imagenet16(tmp_path / "i")
    with (tmp_path / "i" / "train_data_batch_3").open("wb") as fh:
        pickle.dump({"data": np.zeros((4, 700), np.uint8), "labels": [1, 2, 3, 4]}, fh)
    with pytest.raises(BenchmarkFileError, match=r"train_data_batch_3: 'data' is uint8 \(4, 700\)"):
        load_images("ImageNet16-120", tmp_path / "i")
    (tmp_path / "s").mkdir()
    scipy.io.savemat(tmp_path / "s" / "train_32x32.mat", {"X": np.zeros((32, 32, 3, 2), np.uint8)})
    with pytest.raises(BenchmarkFileError, match=r"(?s)train_32x32.mat: no array y.*'X' uint8"):
        load_images("svhn", tmp_path / "s")
    _scifar100(tmp_path / "c", n=3, shape=(3, 32, 32))
    with pytest.raises(BenchmarkFileError, match=r"s2_cifar100.gz: train\['images'\] is float64"):
        load_images("scifar100", tmp_path / "c")
    (tmp_path / "c2").mkdir()
    with gzip.open(tmp_path / "c2" / "s2_cifar100.gz", "wb") as fh:
        pickle.dump({"training": {}}, fh)
    with pytest.raises(BenchmarkFileError, match=r"no 'train' dict with 'images' and 'labels'"):
        load_images("scifar100", tmp_path / "c2")
    _ninapro(tmp_path / "n")
    np.save(tmp_path / "n" / "label_train.npy", np.zeros(7, np.int64))
    with pytest.raises(
        BenchmarkFileError, match=r"label_train.npy: the labels: shape \(7,\), not \(40,\)"
    ):
        load_images("ninapro", tmp_path / "n")


def _nb360_records(shared_data: Path) -> dict:
    path = shared_data / "suite_zero_nb360" / "zc_nasbench201.json"
    if not path.is_file():
        pytest.skip(f"NAS-Bench-360 records not found at {path}")
    return json.loads(path.read_text())["nasbench201"]


def test_live_params_and_flops_equal_the_nb360_records(shared_data: Path) -> None:
    _check_nb360_complexity(_nb360_records(shared_data), first=3)


@pytest.mark.slow
def test_live_params_and_flops_equal_every_nb360_record(shared_data: Path) -> None:
    # all 3 x 199 records, about 40 s on one core: equal to float precision (measured:
    # largest relative difference 0.0 for both)
    _check_nb360_complexity(_nb360_records(shared_data), first=None)


def _check_nb360_complexity(records: dict, first: int | None) -> None:
    space = get_space("nasbench201")
    for dataset in ("svhn", "scifar100", "ninapro"):
        keys = list(records[dataset])[:first]
        archs = [NasBench201Arch.from_key(k) for k in keys]
        scores, _ = score_archs(space, archs, ["params", "flops"], dataset, None)
        for i, key in enumerate(keys):
            assert scores["params"][i] == pytest.approx(records[dataset][key]["params"]["score"])
            assert scores["flops"][i] == pytest.approx(records[dataset][key]["flops"]["score"])


def test_compare_takes_an_nb360_tasks_images_not_noise(shared_data: Path, tmp_path: Path) -> None:
    from naspred.benchmarks.suite_zero import load_suite_zero
    from naspred.experiments.compare import NOISE, task_batch

    path = shared_data / "suite_zero_nb360" / "zc_nasbench201.json"
    if not path.is_file():
        pytest.skip(f"NAS-Bench-360 records not found at {path}")
    task = next(t for t in load_suite_zero(path) if t.dataset == "ninapro")
    sample = tmp_path / "nina.npz"
    images = RNG.normal(size=(12, 1, 16, 52)).astype(np.float32)
    np.savez(sample, train_x=images, train_y=RNG.integers(0, 18, 12))
    (x, y), source = task_batch(task, get_space("nasbench201"), 4, seed=0, data=sample)
    assert source == "nina.npz (ninapro sample)" and not source.startswith(NOISE)
    assert x.shape == (4, 1, 16, 52) and int(y.max()) < 18
    # the sample's own values (ninapro is not normalised), rows chosen by the seed
    rows = np.sort(np.random.default_rng(0).choice(12, size=4, replace=False))
    np.testing.assert_array_equal(x.numpy(), images[rows])
    # the batches a proxy fixes for itself come from the same images, each as a run
    # of that batch size draws it
    from naspred.experiments.compare import task_batches

    batches, _ = task_batches(task, get_space("nasbench201"), [4, 10], seed=0, data=sample)
    assert list(batches) == [4, 10]
    np.testing.assert_array_equal(batches[4][0].numpy(), images[rows])
    rows10 = np.sort(np.random.default_rng(0).choice(12, size=10, replace=False))
    np.testing.assert_array_equal(batches[10][0].numpy(), images[rows10])
