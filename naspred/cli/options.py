"""The one vocabulary of the ``naspred`` sub-commands: option types and list syntax.

Every option that two commands share is spelled here once, so a name means the
same thing everywhere:

* tasks ``--task/-t``, predictors ``--predictor/-p`` (the spec grammar of
  :mod:`naspred.predictors.spec`), zero-cost proxies ``--proxy/-P``;
* one seed ``--seed``, a seed grid ``--seeds``;
* images ``--npz`` (a sample file of the task's dataset) or ``--data-root`` (the
  dataset's published files: a torchvision-format CIFAR directory, the ImageNet16-120
  batches, or NAS-Bench-360's svhn / scifar100 / ninapro files), with ``--download``
  (CIFAR); the torch ``--device``;
* outputs ``--out`` (and ``--store`` for resumable studies), by default under
  ``results/<command>/`` (git-ignored), never into the committed ``tables/``.

Lists follow one rule, applied by :func:`split_list`: a list option is repeatable
and each value may itself be a comma list, so ``-P synflow,jacov -P snip`` is
``[synflow, jacov, snip]``. Integer grids also take ranges (``--seeds 0-4``).
File options (``--curves``) are repeatable only: a comma may belong to a path.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from naspred.errors import ArchKeyError, InvalidInputError

if TYPE_CHECKING:  # importing naspred.predictors loads torch: not for `naspred --help`
    from naspred.predictors.spec import PredictorSpec

RESULTS = Path("results")  # git-ignored root of every command's default output

# ---- task sources --------------------------------------------------------------------

SuiteZeroDir = Annotated[
    Path | None,
    typer.Option(
        "--suite-zero-dir",
        envvar="NASPRED_SUITE_ZERO_DIR",
        help="Directory of NAS-Bench-Suite-Zero zc_<space>.json records (ground truth).",
    ),
]
GrafDir = Annotated[
    Path | None,
    typer.Option(
        "--graf-dir",
        envvar="NASPRED_GRAF_DIR",
        help="GRAF release data/ directory: its tasks (nasbench201/cifar10-graf) and the "
        "hardware and robustness targets of NB201 tasks.",
    ),
]
Embedded = Annotated[
    bool | None,
    typer.Option(
        "--embedded/--no-embedded",
        help="Include the embedded NAS-Bench-Graph and AnalogNAS-Bench tasks.",
        show_default="only when no Suite-Zero directory is given",
    ),
]
CurveFiles = Annotated[
    list[Path] | None,
    typer.Option(
        "--curves",
        help="Learning-curve file, one task each: naspred's own (.jsonl, from "
        "make-benchmark) or NASLib's nb201_<dataset>_full_training.pickle; repeatable.",
    ),
]
TaskNames = Annotated[
    list[str] | None,
    typer.Option(
        "--task",
        "-t",
        help="Task name or pattern, e.g. 'nasbench201/*'; repeatable or a comma list.",
        show_default="every task the sources provide",
    ),
]

# ---- what is evaluated ---------------------------------------------------------------

Target = Annotated[
    str | None,
    typer.Option(
        "--target",
        help="Rank by this target instead of val_accuracy, e.g. edgegpu_latency or "
        "'pgd@Linf_eps-1.0' (costs negated: higher is better); tasks without it are "
        "left out.",
        show_default="val_accuracy",
    ),
]


def predictor_option(default: str, example: str = "'xgb:encoding=graph_features'") -> Any:
    """``--predictor/-p``: predictor specs; ``default`` says what none given means."""
    return typer.Option(
        "--predictor",
        "-p",
        help=f"Registered name with optional hyper-parameters, e.g. {example} or "
        "'zc:synflow'; repeatable or a comma list ('rf,xgb:n_estimators=60').",
        show_default=default,
    )


def proxy_option(help: str, default: str | bool = True) -> Any:
    """``--proxy/-P``: zero-cost proxy names."""
    return typer.Option(
        "--proxy", "-P", help=f"{help}; repeatable or a comma list.", show_default=default
    )


def seed_option(help: str) -> Any:
    """``--seed``: the one seed of a run."""
    return typer.Option("--seed", help=help)


def seeds_option(default: str) -> Any:
    """``--seeds``: a seed grid, one study cell per seed."""
    return typer.Option(
        "--seeds",
        help="Seeds, e.g. '0-4' or '0,1,2'; repeatable.",
        show_default=default,
    )


def int_list_option(name: str, help: str, default: str) -> Any:
    """A repeatable comma list of integers (``--train-sizes``, ``--query-epochs``)."""
    return typer.Option(name, help=f"{help}; repeatable or a comma list.", show_default=default)


# ---- archs --------------------------------------------------------------------------


def _is_file_path(value: Path, what: str) -> None:
    """Raise :class:`typer.BadParameter` unless a file can be written at ``value``."""
    if value.is_dir():
        raise typer.BadParameter(f"{value} is a directory; give the path of a {what} file")
    _check_creatable(value.parent if not value.exists() else value, value)


def _is_dir_path(value: Path, what: str) -> None:
    """Raise :class:`typer.BadParameter` unless ``value`` is or can become a directory."""
    if value.exists() and not value.is_dir():
        raise typer.BadParameter(
            f"{value} is a file; give a directory for the {what} (it is created if missing)"
        )
    _check_creatable(value, value)


def _check_creatable(place: Path, value: Path) -> None:
    """``place`` (or, if it does not exist yet, its nearest existing parent) must be a
    writable directory, or ``value`` a writable file, for ``value`` to be written."""
    existing = place
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if existing.is_file() and existing != value:
        raise typer.BadParameter(f"cannot create {value}: {existing} is a file")
    if not os.access(existing, os.W_OK):
        raise typer.BadParameter(f"cannot write {value}: {existing} is not writable")


def _out_dir(value: Path | None) -> Path | None:
    if value is not None:
        _is_dir_path(value, "outputs")
    return value


def _out_file(value: Path | None) -> Path | None:
    if value is not None:
        _is_file_path(value, "JSON-lines output")
    return value


def _store_file(value: Path | None) -> Path | None:
    if value is not None:
        _is_file_path(value, "results-store (JSON lines)")
    return value


def _device(ctx: typer.Context, value: str) -> str:
    """``--device``, checked against what this machine has before any work starts
    (only its spelling with ``--backend ray``, whose workers may be machines with GPUs
    that this one lacks)."""
    if value == "cpu":
        return value  # the default: no need to import torch to know it exists
    import torch

    available = ["cpu"]
    if torch.cuda.is_available():
        available += ["cuda"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        available.append("mps")
    try:
        device = torch.device(value)
    except (RuntimeError, ValueError):
        device = None
    if device is None or device.type not in ("cpu", "cuda", "mps"):
        raise typer.BadParameter(
            f"{value!r} is not a torch device; available here: {', '.join(available)}"
        )
    if str(device) not in available and ctx.params.get("backend") != "ray":
        raise typer.BadParameter(
            f"{value!r} is not available on this machine (torch {torch.__version__}"
            f"{', built without CUDA' if torch.version.cuda is None else ''}); "
            f"available here: {', '.join(available)}"
        )
    return value


def keys_file_option(help: str) -> Any:
    """``--keys-file``: a text file of arch keys, checked to exist before the run."""
    return typer.Option(
        "--keys-file", help=help, exists=True, dir_okay=False, readable=True, show_default=False
    )


def n_archs_option(help: str, default: str | bool = True) -> Any:
    """``--n-archs``: how many archs a run draws (at least 1)."""
    return typer.Option("--n-archs", help=help, show_default=default, min=1)


# ---- images and hardware ---------------------------------------------------------------


def npz_option(help: str) -> Any:
    """``--npz``: images from an ``.npz`` sample (``train_x`` of the dataset's shape:
    cifar10/100, svhn 3x32x32, ImageNet16-120 3x16x16 uint8; scifar100 3x60x60,
    ninapro 1x16x52 float32)."""
    return typer.Option("--npz", help=help, dir_okay=False)


def data_root_option(help: str) -> Any:
    """``--data-root``: the directory of the dataset's published files (CIFAR in the
    torchvision layout, ImageNet16-120's batches, svhn's .mat, scifar100's
    s2_cifar100.gz, ninapro's .npy); without it, the ``naspred data fetch`` copy."""
    return typer.Option("--data-root", help=help, file_okay=False)


Download = Annotated[
    bool, typer.Option("--download", help="Download CIFAR into --data-root if it is not there.")
]
Device = Annotated[
    str,
    typer.Option(
        "--device", help="Torch device: cpu, cuda or cuda:N (checked at start).", callback=_device
    ),
]
Backend = Annotated[
    str,
    typer.Option(
        "--backend",
        help="local (worker processes), ray or serial.",
        is_eager=True,  # read first, so that the --device check knows it
    ),
]
RayAddress = Annotated[
    str | None,
    typer.Option(
        "--ray-address",
        envvar="RAY_ADDRESS",
        help="Ray cluster to attach to with --backend ray (HOST:PORT, or 'auto' for a "
        "running local one); without it a local cluster is started.",
        show_default=False,
    ),
]
TorchThreads = Annotated[
    int,
    typer.Option(
        "--torch-threads",
        min=1,
        help="Torch threads per worker (scores differ in the last digits with it; "
        "a resumed run must use the same).",
    ),
]


def n_jobs_option(help: str, default: str) -> Any:
    """``--n-jobs``: parallel workers; ``default`` says how many when omitted."""
    return typer.Option("--n-jobs", help=help, show_default=default, min=1)


#: ``--n-jobs`` of the commands that score or fit many things through ``run_units``.
NJobs = Annotated[
    int | None, n_jobs_option("Workers.", default="every CPU (local), cluster's (ray)")
]


def note_gpu_workers(device: str, backend: str, n_jobs: int | None) -> None:
    """A note on stderr when several workers would each put networks on one GPU."""
    if device.startswith("cuda") and backend != "serial" and (n_jobs or 0) != 1:
        typer.secho(
            "note: each worker uses the GPU; consider --n-jobs 1 (or a few) with cuda",
            err=True,
        )


# ---- outputs and running ----------------------------------------------------------------


def out_option(help: str, default: str | bool = True, *, file: bool = False) -> Any:
    """``--out``: an output directory (a file with ``file=True``), checked before the
    run to be one that can be written; ``default`` names the ``results/...`` place
    used when it is omitted."""
    return typer.Option(
        "--out", help=help, show_default=default, callback=_out_file if file else _out_dir
    )


def store_option() -> Any:
    """``--store``: a resumable study's results store, a file checked before the run."""
    return typer.Option(
        "--store",
        help="Results store (JSON lines); a rerun resumes from it.",
        callback=_store_file,
    )


Progress = Annotated[
    bool, typer.Option("--progress/--no-progress", help="Show progress bars on stderr.")
]
Verbose = Annotated[
    bool, typer.Option("--verbose", "-v", help="Log at INFO level: what is loaded and skipped.")
]
RetryFailed = Annotated[
    bool,
    typer.Option(
        "--retry-failed/--keep-failed",
        help="Run again the cells a previous run recorded as failed, instead of keeping "
        "their failure.",
    ),
]
FailedAsWorst = Annotated[
    bool | None,
    typer.Option(
        "--failed-as-worst/--failed-left-out",
        help="Rank the archs a proxy failed on (e.g. Suite-Zero's -1e8) last, tied, as the "
        "Suite-Zero notebooks do, instead of leaving them out; counted either way.",
        show_default="failed-left-out (or the --preset's rule)",
    ),
]
Cells = Annotated[
    str | None,
    typer.Option(
        "--cells",
        help="Which archs count: all, unique (one per isomorphism class) or valid (GRAF's "
        "cells with no unreachable operation; NAS-Bench-201 only).",
        show_default="all (or the --preset's)",
    ),
]
Preset = Annotated[
    str | None,
    typer.Option(
        "--preset",
        help="A published table's protocol, setting --cells, --target and the failure rule: "
        "suite-zero (all cells, failures ranked last), graf (valid cells, failures left "
        "out) or zero-cost-nas (all cells, test_accuracy, failures left out); see the README.",
        show_default="none",
    ),
]


def chosen_tasks(
    task: Iterable[str] | None,
    *,
    suite_zero_dir: Path | None,
    embedded: bool | None,
    curves: Sequence[Path] | None = None,
    graf_dir: Path | None = None,
    target: str | None = None,
    cells: str | None = None,
    preset: str | None = None,
) -> list[Any]:
    """The tasks a study command's source options choose: ``-t``, ``--suite-zero-dir``,
    ``--embedded``, ``--curves``, ``--graf-dir``, ``--target`` and ``--cells`` read one
    way for every command (:func:`naspred.benchmarks.load_tasks`).

    Args:
        task: the ``-t`` values (names, patterns, comma lists), or None for all.
        suite_zero_dir: ``--suite-zero-dir``.
        embedded: ``--embedded/--no-embedded``.
        curves: ``--curves`` files.
        graf_dir: ``--graf-dir``.
        target: ``--target`` (None: ``val_accuracy``).
        cells: ``--cells`` (None: all).
        preset: ``--preset``, whose target and cells these are: where no chosen task
            holds its target, the error says what the preset needs.

    Raises:
        InvalidInputError: a preset's target that no chosen task holds.
    """
    from naspred.benchmarks import load_tasks
    from naspred.errors import UnknownNameError, UnknownTaskError

    try:
        return load_tasks(
            split_list(task),
            suite_zero=suite_zero_dir,
            embedded=embedded,
            curves=curves or (),
            graf=graf_dir,
            target=target,
            cells=cells or "all",
        )
    except UnknownNameError as err:
        if preset is None or target is None or isinstance(err, UnknownTaskError):
            raise
        from naspred.benchmarks.protocols import get_preset

        needs = get_preset(preset).needs or "a source with that target"
        raise InvalidInputError(
            f"--preset {preset} ranks against {target}, which no chosen task holds; "
            f"it needs {needs}"
        ) from err


def parallel(
    backend: str, n_jobs: int | None, ray_address: str | None, torch_threads: int | None
) -> dict[str, Any]:
    """``--backend``, ``--n-jobs``, ``--ray-address`` and ``--torch-threads`` as the
    keyword arguments of :func:`naspred.experiments.units.run_units` and the studies."""
    return {
        "backend": backend,
        "n_jobs": n_jobs,
        "address": ray_address,
        "torch_threads": torch_threads,
    }


def apply_preset(
    preset: str | None,
    cells: str | None,
    target: str | None,
    failed_as_worst: bool | None,
    study: str = "correlations",
) -> tuple[str, str | None, bool]:
    """``(cells, target, failed_as_worst)`` of a command: the options given, else the
    preset's, else the defaults (all cells, ``val_accuracy``, failures left out).

    Args:
        preset: ``--preset`` (None: none).
        cells: ``--cells`` (None: not given).
        target: ``--target`` (None: not given).
        failed_as_worst: ``--failed-as-worst/--failed-left-out`` (None: not given).
        study: the command's study; a preset of another study is refused.

    Raises:
        InvalidInputError: an option given that contradicts the preset, a preset of
            another study, or an unknown preset.
    """
    if preset is None:
        return cells or "all", target, bool(failed_as_worst)
    from naspred.benchmarks.protocols import check_study, get_preset
    from naspred.benchmarks.task import TARGET

    p = get_preset(preset)
    check_study(p, study)
    rule = "--failed-as-worst" if p.failed_as_worst else "--failed-left-out"
    for given, own, option in (
        (cells, p.cells, f"--cells {p.cells}"),
        (target, p.target, f"--target {p.target}"),
        (failed_as_worst, p.failed_as_worst, rule),
    ):
        if given is not None and given != own:
            raise InvalidInputError(
                f"--preset {preset} sets {option}; drop the other option or the preset"
            )
    return p.cells, (None if p.target == TARGET else p.target), p.failed_as_worst


def apply_predictor_preset(
    preset: str | None,
    test_size: int | None,
    train_sizes: list[int],
    seeds: list[int],
    default_test_size: int,
) -> tuple[int, list[int], list[int]]:
    """``(test_size, train_sizes, seeds)`` of ``naspred predictors``: the test-set size
    given, else the preset's, else ``default_test_size``; the sizes and seeds given
    (a smaller grid of the preset's, for a cheaper run), else the preset's.

    Args:
        preset: ``--preset`` (None: none).
        test_size: ``--test-size`` (None: not given).
        train_sizes: ``--train-sizes`` read (empty: not given).
        seeds: ``--seeds`` read (empty: not given).
        default_test_size: the command's test-set size without option or preset.

    Raises:
        InvalidInputError: a ``--test-size`` that contradicts the preset's.
    """
    if preset is None:
        return test_size or default_test_size, train_sizes, seeds
    from naspred.benchmarks.protocols import get_preset

    p = get_preset(preset)
    if test_size is not None and test_size != p.test_size:
        raise InvalidInputError(
            f"--preset {preset} sets --test-size {p.test_size}; drop the other option or the preset"
        )
    return (
        p.test_size or default_test_size,
        train_sizes or list(p.train_sizes),
        seeds or list(p.seeds),
    )


# ---- the list syntax --------------------------------------------------------------------


def split_list(
    values: Iterable[str] | None, *, continues: Callable[[str], bool] | None = None
) -> list[str]:
    """The items of a repeatable option whose values may be comma lists.

    ``["synflow,jacov", "snip"]`` gives ``["synflow", "jacov", "snip"]``; blank
    pieces are dropped. A piece for which ``continues`` is true is not an item of
    its own but is put back, after a comma, onto the item before it: that is how a
    predictor spec keeps its ``key=value`` options (see :func:`predictor_specs`).
    """
    items: list[str] = []
    for value in values or ():
        for piece in (p.strip() for p in value.split(",")):
            if not piece:
                continue
            if continues is not None and continues(piece) and items:
                items[-1] = f"{items[-1]},{piece}"
            else:
                items.append(piece)
    return items


def int_list(values: Iterable[str] | None, option: str, minimum: int = 0) -> list[int]:
    """Integers of a repeatable comma-list option, where ``lo-hi`` is a range:
    ``["0-2", "5"]`` gives ``[0, 1, 2, 5]``.

    Args:
        values: the option's values as given (None or empty: no values, ``[]``).
        option: the option's name, for messages (``"--seeds"``).
        minimum: the least value allowed (1 for sizes and epochs).

    Raises:
        InvalidInputError: naming ``option``, for an item that is not an integer or a
            range, an empty range (``4-0``), a value below ``minimum``, or values that
            give no integer at all (``--seeds ,``).
    """
    given = [str(v) for v in values or ()]
    out: list[int] = []
    for item in split_list(given):
        lo, sep, hi = item.partition("-")
        try:
            got = list(range(int(lo), int(hi) + 1)) if sep else [int(lo)]
        except ValueError:
            raise InvalidInputError(
                f"{option}: {item!r} is not an integer list; use e.g. 0,1,2 or a range 0-4"
            ) from None
        if not got:
            raise InvalidInputError(f"{option}: {item!r} is an empty range; write it low-high")
        if min(got) < minimum:
            raise InvalidInputError(f"{option}: {item!r} has a value below {minimum}")
        out += got
    if given and not out:
        raise InvalidInputError(f"{option}: {given!r} holds no integer; use e.g. 0,1,2 or 0-4")
    return out


def predictor_specs(values: Iterable[str]) -> list[PredictorSpec]:
    """``--predictor`` values as specs. A comma separates predictors except before a
    ``key=value`` item, which is an option of the predictor before it, so
    ``rf,xgb:encoding=graph_features,n_estimators=60`` is two predictors."""
    items = split_list(values, continues=_is_option)
    for item in items:
        if "=" in item.split(":", 1)[0]:
            raise InvalidInputError(
                f"predictor option {item!r} has no predictor before it; "
                "use NAME:key=value, e.g. 'xgb:encoding=graph_features'"
            )
    from naspred.predictors.spec import parse_spec

    return [parse_spec(item) for item in items]


def check_predictors(specs: Iterable[PredictorSpec]) -> None:
    """Build each spec's predictor once, as the studies do, so that an unknown name or
    hyper-parameter fails before any task is loaded."""
    from naspred.predictors import make_predictor

    for spec in specs:
        make_predictor(spec.name, **spec.params)


def _is_option(piece: str) -> bool:
    """``key=value`` (not ``name:key=value``, which starts a predictor of its own)."""
    key, sep, _ = piece.partition("=")
    return bool(sep) and ":" not in key


def read_keys(path: Path | None, space: str) -> list[str] | None:
    """The benchmark keys of the archs in a ``--keys-file``, in its order.

    Args:
        path: the file: one arch per line, in any string form ``space`` reads (its
            Suite-Zero key, an NB201/NATS arch string, a DARTS ``Genotype(...)``, an
            NB101 ``{'matrix': ..., 'ops': ...}``, ...); blank lines are skipped. None:
            no file.
        space: the search space the archs belong to (the task's).

    Raises:
        InvalidInputError: naming ``--keys-file`` and the file, if it cannot be read,
            is not text, or holds no arch.
        ArchKeyError: a line that is no arch of ``space``, named by file and line.
    """
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidInputError(
            f"--keys-file {path}: not a text file; give one arch per line"
        ) from None
    except OSError as err:
        raise InvalidInputError(
            f"--keys-file {path}: cannot be read ({err.strerror or err})"
        ) from None
    from naspred.spaces import arch_type  # loads torch: not at import, for `naspred --help`

    cls = arch_type(space)
    keys = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            keys.append(cls.from_key(line.strip()).to_key())
        except ArchKeyError as err:
            raise ArchKeyError(f"{path} line {number}: {err}") from None
    if not keys:
        raise InvalidInputError(f"--keys-file {path}: holds no arch; give one arch per line")
    return keys


def check_image_source(npz: Path | None, data_root: Path | None, *, required: bool) -> None:
    """At most one of ``--npz`` and ``--data-root`` (exactly one if ``required``)."""
    if npz is not None and data_root is not None:
        raise InvalidInputError("give one of --npz or --data-root, not both")
    if required and npz is None and data_root is None:
        raise InvalidInputError("give exactly one of --npz or --data-root")
