"""Contract checks for every registered predictor and every registered proxy.

In the manner of scikit-learn's ``parametrize_with_checks``: each check runs on
every name the registries hold when the tests are collected, so a predictor or
proxy registered later is checked without touching this file (a proxy also needs
an entry in the sign-check table; a test says so).

Predictors are checked on a small real task: 40 NAS-Bench-201 archs of the
embedded learning-curve benchmark (``nasbench201/cifar10-lc``), which stores
curves and the proxies jacov, synflow, nwot, snip, params and flops, so that
curve and proxy predictors get their side data. Slow predictors get small
settings from :data:`CHECK_PARAMS` (like scikit-learn's
``_set_checking_parameters``). Each predictor is fitted twice per session and
the checks read what those fits recorded.
"""

from __future__ import annotations

import copy
import inspect
import json
import random
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from sklearn.base import clone
from torch import nn
from torch.nn import functional as F

from naspred.benchmarks import Task, load_suite_zero, load_tasks
from naspred.benchmarks.learning_curves import TRAINING_NETWORK_SUFFIX
from naspred.errors import NotFittedError
from naspred.metrics import spearman
from naspred.predictors import (
    DataNeeds,
    ProbabilisticPredictor,
    make_predictor,
    predictor_class,
    predictor_names,
    task_info,
)
from naspred.predictors.spec import parse_spec
from naspred.proxies import ProxyFailure, get_proxy, proxy_names, score_archs
from naspred.proxies.engine import SHARED, build_initialised, prunable_layers

torch.set_num_threads(1)

LC_TASK = "nasbench201/cifar10-lc"
N_TRAIN, N_QUERY = 30, 10

#: the zero-cost predictor is checked through the spec grammar, on a stored proxy
SPECS = [f"{name}:jacov" if name == "zc" else name for name in predictor_names()]

#: small, fast settings per predictor (and, for zc_xgb, proxies the task stores);
#: xgb, rf, gcn and wl_gp tune, so that both tuning paths (encoded, generic) are checked too
CHECK_PARAMS: dict[str, dict[str, Any]] = {
    "bananas": {"ensemble_size": 2, "epochs": 3},
    "bonas": {"epochs": 3},
    "dngo": {"epochs": 3},
    "gates": {"epochs": 3},
    "gcn": {"epochs": 3, "tune": True, "tune_trials": 2},
    "gin": {"epochs": 3},
    "lcsvr": {"tune_trials": 2},
    "mlp": {"epochs": 3},
    "ngb": {"n_estimators": 20},
    "omni": {"n_estimators": 20},
    "pinat": {"epochs": 3},
    "rf": {"tune": True, "tune_trials": 2},
    "seminas": {"epochs": 3, "n_unlabelled": 20},
    "ta_gates": {"epochs": 3},
    "sparse_gp": {"iterations": 10, "num_inducing": 16},
    "wl_gp": {"tune": True, "tune_trials": 2},
    "xgb": {"tune": True, "tune_trials": 2, "n_estimators": 50},
    "zc_xgb": {"proxies": ("jacov", "synflow", "nwot"), "n_estimators": 50},
}


def _base(spec: str) -> str:
    return parse_spec(spec).constructor_args()[0]


def _init_params(cls: type) -> dict[str, inspect.Parameter]:
    return {k: p for k, p in inspect.signature(cls.__init__).parameters.items() if k != "self"}


# ---- the task and a recording info mapping -------------------------------------------


@pytest.fixture(scope="module")
def lc_task() -> Task:
    return load_tasks([LC_TASK])[0]


@dataclass
class Split:
    """Training and query rows of the task, and every arch of it."""

    task: Task
    train: np.ndarray
    test: np.ndarray
    archs: list

    def pick(self, rows: np.ndarray) -> list:
        return [self.archs[i] for i in rows]


@pytest.fixture(scope="module")
def split(lc_task: Task) -> Split:
    from naspred.spaces import get_space

    finite = np.all([np.isfinite(v) for v in lc_task.proxies.values()], axis=0)
    rows = np.flatnonzero(finite)[: N_TRAIN + N_QUERY]
    space = get_space(lc_task.space)
    return Split(lc_task, rows[:N_TRAIN], rows[N_TRAIN:], [space.from_key(k) for k in lc_task.keys])


class RecordingInfo(Mapping[str, np.ndarray]):
    """An ``info`` mapping that records which keys are read (item access; a
    membership test is not a read)."""

    def __init__(self, data: Mapping[str, np.ndarray]) -> None:
        self._data = dict(data)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> np.ndarray:
        self.read.add(key)
        return self._data[key]

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


def _everything(task: Task, rows: np.ndarray) -> RecordingInfo:
    """Every proxy and every whole curve the task stores: more than any predictor needs."""
    needs = DataNeeds(
        proxies=tuple(task.proxy_names),
        curve_epochs=task.n_epochs,
        curve_metrics=tuple(sorted(task.curves)),
    )
    return RecordingInfo(task_info(task, rows, needs))


def _global_rng_states() -> tuple[Any, Any, torch.Tensor]:
    return random.getstate(), np.random.get_state(), torch.random.get_rng_state()  # noqa: NPY002


def _same_rng_states(a: tuple, b: tuple) -> list[str]:
    changed = []
    if a[0] != b[0]:
        changed.append("random")
    if not all(np.array_equal(x, y) for x, y in zip(a[1], b[1], strict=True)):
        changed.append("numpy.random")
    if not torch.equal(a[2], b[2]):
        changed.append("torch")
    return changed


@dataclass
class Run:
    """What two fresh, same-seed fits of one predictor spec recorded."""

    predictor: Any
    fit_returned: Any
    outputs: list[np.ndarray]
    dists: list[tuple[np.ndarray, np.ndarray]]
    rng_changed: list[str]
    read: set[str]
    declared: set[str]


_RUNS: dict[str, Run] = {}


def _run(spec: str, split: Split) -> Run:
    if spec in _RUNS:
        return _RUNS[spec]
    params = CHECK_PARAMS.get(_base(spec), {})
    outputs, dists, read = [], [], set()
    saved = _global_rng_states()
    # a distinctive global state, so that a predictor reseeding it cannot go unseen
    random.seed(1234)
    np.random.seed(1234)  # noqa: NPY002
    torch.manual_seed(1234)
    before = _global_rng_states()
    try:
        for _ in range(2):
            p = make_predictor(spec, seed=0, **params)
            train_info, test_info = (
                _everything(split.task, split.train),
                _everything(split.task, split.test),
            )
            returned = p.fit(
                split.pick(split.train), split.task.val_accuracy[split.train], train_info
            )
            outputs.append(np.asarray(p.query(split.pick(split.test), test_info)))
            if isinstance(p, ProbabilisticPredictor) and p.probabilistic:
                dists.append(p.query_dist(split.pick(split.test), test_info))
            read |= train_info.read | test_info.read
        after = _global_rng_states()
    finally:
        random.setstate(saved[0])
        np.random.set_state(saved[1])  # noqa: NPY002
        torch.random.set_rng_state(saved[2])
    run = Run(
        p, returned, outputs, dists, _same_rng_states(before, after), read, set(p.needs.info_keys())
    )
    _RUNS[spec] = run
    return run


# ---- predictors: construction and parameters -----------------------------------------


def test_every_registered_predictor_is_checked() -> None:
    # SPECS is built from the registry (every predictor is in it by construction; the
    # fast settings are checked below): zc must stand in as a real proxy
    assert "zc:jacov" in SPECS and "zc" not in SPECS


@pytest.mark.parametrize("name", sorted(CHECK_PARAMS))
def test_check_params_name_real_hyper_parameters(name: str) -> None:
    assert name in predictor_names()
    assert set(CHECK_PARAMS[name]) <= set(_init_params(predictor_class(name)))


@pytest.mark.parametrize("spec", SPECS)
def test_signature_is_explicit_and_parameters_stored_as_given(spec: str) -> None:
    base, params = parse_spec(spec, CHECK_PARAMS.get(_base(spec), {})).constructor_args()
    cls = predictor_class(base)
    signature = _init_params(cls)
    kinds = {p.kind for p in signature.values()}
    assert not kinds & {inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD}
    assert all(p.default is not inspect.Parameter.empty for p in signature.values())
    # every constructor argument is a hyper-parameter, stored under its own name
    given = {k: copy.copy(v) for k, v in params.items()}
    p = cls(**given)
    got = p.get_params(deep=False)
    assert set(got) == set(signature)
    for key, value in given.items():
        assert got[key] is value, key
    for key in set(signature) - set(given):
        assert got[key] == signature[key].default, key
    assert not [k for k in vars(p) if k.endswith("_")], "learned state before fit"


@pytest.mark.parametrize("spec", SPECS)
def test_clone_round_trips(spec: str) -> None:
    p = make_predictor(spec, seed=7, **CHECK_PARAMS.get(_base(spec), {}))
    twin = clone(p)
    assert type(twin) is type(p) and twin is not p
    assert twin.get_params() == p.get_params()
    assert twin.get_params().get("seed", 7) == 7
    twin.set_params(**p.get_params())
    assert twin.get_params() == p.get_params()


@pytest.mark.parametrize("spec", SPECS)
def test_query_before_fit_raises_not_fitted(spec: str, split: Split) -> None:
    p = make_predictor(spec, **CHECK_PARAMS.get(_base(spec), {}))
    info = _everything(split.task, split.test)
    with pytest.raises(NotFittedError, match=r"is not fitted; call fit\(archs, y\) first"):
        p.query(split.pick(split.test), info)
    if isinstance(p, ProbabilisticPredictor) and p.probabilistic:
        with pytest.raises(NotFittedError, match="not fitted"):
            p.query_dist(split.pick(split.test), info)


# ---- predictors: fitting --------------------------------------------------------------


@pytest.mark.parametrize("spec", SPECS)
def test_fit_returns_self_and_learns_state(spec: str, split: Split) -> None:
    run = _run(spec, split)
    assert run.fit_returned is run.predictor
    assert [k for k in vars(run.predictor) if k.endswith("_")], "fit left no learned attribute"
    out = run.outputs[0]
    assert out.shape == (N_QUERY,) and out.dtype == np.float64
    assert np.isfinite(out).all()


@pytest.mark.parametrize("spec", SPECS)
def test_same_seed_same_predictions(spec: str, split: Split) -> None:
    run = _run(spec, split)
    np.testing.assert_array_equal(run.outputs[0], run.outputs[1])
    for (mean_a, std_a), (mean_b, std_b) in zip(run.dists[:1], run.dists[1:], strict=True):
        np.testing.assert_array_equal(mean_a, mean_b)
        np.testing.assert_array_equal(std_a, std_b)
        np.testing.assert_allclose(mean_a, run.outputs[0], rtol=1e-9)
        assert np.all(std_a > 0)


@pytest.mark.parametrize("spec", SPECS)
def test_global_random_state_untouched(spec: str, split: Split) -> None:
    assert _run(spec, split).rng_changed == []


@pytest.mark.parametrize("spec", SPECS)
def test_reads_exactly_the_info_it_declares(spec: str, split: Split) -> None:
    run = _run(spec, split)
    # offered every stored proxy and curve, it reads only what `needs` names (which is
    # what callers fetch and charge for), and all of it
    assert run.read == run.declared


# ---- predictors: documentation --------------------------------------------------------


def _args_section(doc: str) -> dict[str, str]:
    """``name -> entry text`` of a Google-style ``Args:`` section."""
    lines = inspect.cleandoc(doc).splitlines()
    assert "Args:" in lines, "no Args: section"
    entries: dict[str, str] = {}
    name = None
    for line in lines[lines.index("Args:") + 1 :]:
        if line.strip() and not line.startswith("    "):
            break
        match = re.match(r"^    (\w+)( \(.*?\))?: (.+)$", line)
        if match:
            name = match.group(1)
            entries[name] = (match.group(2) or "") + " " + match.group(3)
        elif name and line.startswith("        "):
            entries[name] += " " + line.strip()
    return entries


@pytest.mark.parametrize("name", predictor_names())
def test_docstring_documents_every_hyper_parameter(name: str) -> None:
    cls = predictor_class(name)
    entries = _args_section(cls.__doc__ or "")
    signature = _init_params(cls)
    assert sorted(entries) == sorted(signature), "Args: must list exactly the __init__ parameters"
    for key, param in signature.items():
        text = entries[key]
        assert f"default={param.default!r}" in text, (key, text)
        meaning = text.split("):", 1)[-1] if "):" in text else text
        assert len(meaning.split()) >= 2, (key, text)


@pytest.mark.parametrize("name", predictor_names())
def test_docstring_cites_the_paper_first(name: str) -> None:
    cls = predictor_class(name)
    first = inspect.cleandoc(cls.__doc__ or "").split("\n\n")[0]
    author = re.search(r"[A-Z][a-z]+", cls.paper).group(0)
    year = re.search(r"\b(19|20)\d\d\b", cls.paper).group(0)
    assert author in first and year in first, (cls.paper, first)


# ---- proxies: registry ----------------------------------------------------------------


@pytest.mark.parametrize("name", proxy_names())
def test_proxy_registration_is_well_formed(name: str) -> None:
    proxy = get_proxy(name)
    assert proxy.name == name and callable(proxy.fn)
    assert len(inspect.signature(proxy.fn).parameters) == 1
    assert proxy.paper and re.search(r"\b(19|20)\d\d\b", proxy.paper), proxy.paper
    assert proxy.needs <= set(SHARED) | {"data"}
    if proxy.population:
        assert proxy.depends and name not in proxy.depends
        for dep in proxy.depends:
            assert dep in proxy_names() and not get_proxy(dep).population, dep
    else:
        assert proxy.depends == ()


# ---- proxies: scoring on the learning-curve benchmark's own setup ---------------------


@dataclass
class LCSetup:
    """The network configuration and minibatch the LC benchmark scored its proxies on."""

    task: Task
    space: Any
    batch: tuple[torch.Tensor, torch.Tensor]
    seeds: list[int]


@pytest.fixture(scope="module")
def lc_setup(lc_task: Task, shared_data: Path) -> LCSetup:
    from naspred.experiments.training import (
        DataSource,
        TrainingProtocol,
        build_space,
        prepare_data,
    )

    lines = Path(lc_task.source).read_text().splitlines()
    header = json.loads(lines[0])
    npz = shared_data / header["data"]["source"]
    if not npz.is_file():
        pytest.skip(f"{npz} (the LC benchmark's images) not found")
    protocol = TrainingProtocol(
        **{k: tuple(v) if isinstance(v, list) else v for k, v in header["protocol"].items()}
    )
    prepared = prepare_data(DataSource(dataset=protocol.dataset, npz=str(npz)), protocol)
    # the training images the benchmark's records were scored on: a data_seed draw
    # (naspred.experiments.training._init_proxies)
    rng = np.random.default_rng(protocol.data_seed)
    n = min(protocol.proxy_batch_size, len(prepared.train_x))
    rows = torch.from_numpy(np.sort(rng.choice(len(prepared.train_x), size=n, replace=False)))
    seeds = [json.loads(line)["seed"] for line in lines[1:]]
    return LCSetup(
        lc_task,
        build_space(lc_task.space, protocol),
        (prepared.train_x[rows], prepared.train_y[rows]),
        seeds,
    )


def _small_batch(setup: LCSetup) -> tuple[torch.Tensor, torch.Tensor]:
    return setup.batch[0][:16], setup.batch[1][:16]


def _own_batches(setup: LCSetup, name: str) -> dict[int, tuple[torch.Tensor, torch.Tensor]]:
    """The batch of the size ``name``'s paper fixes (if it fixes one), cycling through
    the benchmark's images where it holds fewer."""
    n = get_proxy(name).batch_size
    if n is None:
        return {}
    rows = torch.arange(n) % len(setup.batch[0])
    return {n: (setup.batch[0][rows], setup.batch[1][rows])}


#: every cell path crosses a "none" edge: the logits ignore the image (jacov undefined)
DEAD_CELL = "(1, 0, 1, 4, 0, 1)"


@pytest.mark.parametrize("name", proxy_names())
def test_proxy_scores_three_archs_or_records_failures(name: str, lc_setup: LCSetup) -> None:
    keys = [lc_setup.task.keys[0], lc_setup.task.keys[1], DEAD_CELL]
    archs = [lc_setup.space.from_key(k) for k in keys]
    failures: list[ProxyFailure] = []
    before = _global_rng_states()
    scores, times = score_archs(
        lc_setup.space,
        archs,
        [name],
        "cifar10",
        _small_batch(lc_setup),
        failures=failures,
        batches=_own_batches(lc_setup, name),
    )
    assert _same_rng_states(before, _global_rng_states()) == []
    values = scores[name]
    assert values.shape == (3,) and times[name].shape == (3,)
    failed = {(f.arch, f.index) for f in failures if f.proxy == name}
    for i, key in enumerate(keys):
        assert np.isfinite(values[i]) != ((key, i) in failed), (key, values[i], failures)
    assert np.isfinite(values[:2]).all()  # the two trained archs of the benchmark score


@pytest.mark.parametrize("name", ["params", "flops"])
def test_stored_cost_proxies_rank_with_accuracy(name: str, lc_task: Task) -> None:
    # bigger networks train to higher accuracy on this benchmark: a cost proxy read
    # with the wrong sign would rank them backwards
    assert spearman(lc_task.val_accuracy, lc_task.proxies[name]) > 0.3


#: the proxies whose scores the LC benchmark stores
LC_STORED = ("flops", "jacov", "nwot", "params", "snip", "synflow")


@pytest.mark.parametrize("name", LC_STORED)
def test_recorded_scores_reproduced(name: str, lc_setup: LCSetup) -> None:
    task = lc_setup.task
    archs = [lc_setup.space.from_key(task.keys[i]) for i in (0, 1)]
    assert lc_setup.seeds[0] == lc_setup.seeds[1]
    scores, _ = score_archs(
        lc_setup.space, archs, [name], "cifar10", lc_setup.batch, seed=lc_setup.seeds[0]
    )
    # the records' scores on the benchmark's training network: beside the live scores
    # of the standard network (tests/test_live_scores.py) they carry a suffix
    stored = name if name in ("params", "flops") else name + TRAINING_NETWORK_SUFFIX
    np.testing.assert_allclose(scores[name], task.proxies[stored][:2], rtol=1e-6)


#: how each proxy that the LC benchmark does not store is checked for its sign
RANKS_EXTREMES = ("epe_nas", "l2_norm", "meco", "meco_opt", "zen", "zico")
SUITE_ZERO_AGREES = ("fisher", "grad_norm")
DEFINITION = ("plain", "grasp")
MAJORITY = ("voting",)
#: a dead cell below a conv cell, and tenas by hand: tests/test_new_proxies_b.py
TE_NAS_VKDNW = ("tenas", "tenas_lr", "tenas_ntk", "vkdnw", "vkdnw_dim", "vkdnw_sgl")
#: each component against a direct computation, dead cells last: tests/test_az_nas.py
AZ_NAS = ("az_nas", "azn_expr", "azn_prog", "azn_train")
#: a tiny linear model by hand, a dead cell scores 0 and lowest: tests/test_gradsign.py
GRADSIGN = ("gradsign",)
#: the pattern count by hand, a dead cell lowest: tests/test_swap.py
SWAP = ("swap", "swap_raw")


def test_every_proxy_has_a_sign_check(lc_task: Task) -> None:
    suffix = TRAINING_NETWORK_SUFFIX
    recorded = {p.removesuffix(suffix) for p in lc_task.proxy_names if p.endswith(suffix)}
    assert recorded | {"params", "flops"} == set(LC_STORED)
    checked = set(LC_STORED) | {
        *RANKS_EXTREMES,
        *SUITE_ZERO_AGREES,
        *DEFINITION,
        *MAJORITY,
        *TE_NAS_VKDNW,
        *AZ_NAS,
        *GRADSIGN,
        *SWAP,
    }
    # naspred's own proxies: a user's, registered by another test (compare), is not ours
    ours = {n for n in proxy_names() if get_proxy(n).fn.__module__.startswith("naspred.")}
    missing = sorted(ours - checked)
    assert not missing, f"add a sign check for {missing} to tests/test_contracts.py"


@pytest.mark.parametrize("name", RANKS_EXTREMES)
def test_proxy_ranks_best_archs_above_worst(name: str, lc_setup: LCSetup) -> None:
    task = lc_setup.task
    finite = np.flatnonzero(np.isfinite(task.proxies["jacov"]))
    order = finite[np.argsort(task.val_accuracy[finite], kind="stable")]
    worst, best = order[:4], order[-4:]
    archs = [lc_setup.space.from_key(task.keys[i]) for i in [*worst, *best]]
    scores, _ = score_archs(lc_setup.space, archs, [name], "cifar10", _small_batch(lc_setup))
    low, high = scores[name][:4], scores[name][4:]
    # measured: every best arch above every worst one for each of these proxies
    assert np.mean(high[:, None] > low[None, :]) >= 0.75, (low, high)


def test_fisher_and_grad_norm_rank_like_suite_zero(suite_zero_dir: Path, shared_data: Path) -> None:
    from naspred.data.images import BatchProvider
    from naspred.spaces.nasbench201 import NasBench201Arch, NasBench201Space

    path = suite_zero_dir / "zc_nasbench201.json"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    task = next(t for t in load_suite_zero(path) if t.dataset == "cifar10")
    # three archs whose stored scores lie about an order of magnitude apart
    keys = ["(3, 4, 1, 4, 1, 0)", "(2, 2, 1, 3, 1, 4)", "(2, 1, 1, 3, 3, 2)"]
    rows = task.index(keys)
    batch = BatchProvider.from_source("cifar10", npz=shared_data / "cifar10_sample.npz").batch(8)
    archs = [NasBench201Arch.from_key(k) for k in keys]
    scores, _ = score_archs(NasBench201Space(), archs, list(SUITE_ZERO_AGREES), "cifar10", batch)
    for name in SUITE_ZERO_AGREES:
        assert spearman(task.proxies[name][rows], scores[name]) == pytest.approx(1.0), name


def _weights_and_loss(setup: LCSetup, key: str) -> tuple[nn.Module, list[str], Any]:
    net = build_initialised(setup.space, setup.space.from_key(key), "cifar10", 0)
    names = [f"{n}.weight" for n, m in net.named_modules() if m in prunable_layers(net)]
    x, y = _small_batch(setup)

    def loss(*weights: torch.Tensor) -> torch.Tensor:
        out = torch.func.functional_call(net, dict(zip(names, weights, strict=True)), (x,))
        return F.cross_entropy(out, y)

    return net, names, loss


@pytest.mark.parametrize("key", ["(3, 3, 4, 0, 1, 4)", "(3, 1, 4, 1, 1, 3)"])
def test_plain_is_the_derivative_of_the_loss_along_the_weights(key: str, lc_setup: LCSetup) -> None:
    scores, _ = score_archs(
        lc_setup.space,
        [lc_setup.space.from_key(key)],
        ["plain"],
        "cifar10",
        _small_batch(lc_setup),
    )
    net, names, _ = _weights_and_loss(lc_setup, key)
    net = copy.deepcopy(net).double()
    weights = [net.get_parameter(n) for n in names]
    start = [w.detach().clone() for w in weights]
    x, y = _small_batch(lc_setup)

    def loss_at(scale: float) -> float:
        with torch.no_grad():
            for w, w0 in zip(weights, start, strict=True):
                w.copy_(w0 * scale)
            return float(F.cross_entropy(net(x.double()), y))

    # d/da L(a W) at a = 1 is sum W * dL/dW: plain, sign included
    eps = 1e-5
    derivative = (loss_at(1 + eps) - loss_at(1 - eps)) / (2 * eps)
    assert scores["plain"][0] == pytest.approx(derivative, rel=1e-3, abs=1e-6)
    assert abs(derivative) > 1e-3  # a sign to check


@pytest.mark.parametrize("key", ["(3, 3, 4, 0, 1, 4)", "(3, 1, 4, 1, 1, 3)"])
def test_grasp_is_minus_weights_times_hessian_gradient(key: str, lc_setup: LCSetup) -> None:
    scores, _ = score_archs(
        lc_setup.space,
        [lc_setup.space.from_key(key)],
        ["grasp"],
        "cifar10",
        _small_batch(lc_setup),
    )
    net, names, loss = _weights_and_loss(lc_setup, key)
    weights = tuple(net.get_parameter(n).detach() for n in names)
    grads = torch.autograd.functional.vjp(loss, weights)[1]
    _, hg = torch.autograd.functional.hvp(loss, weights, v=grads)
    expected = -sum(float((w * h).sum()) for w, h in zip(weights, hg, strict=True))
    assert scores["grasp"][0] == pytest.approx(expected, rel=1e-3)
    assert abs(expected) > 1e-3  # a sign to check


def test_voting_follows_the_majority_of_its_members(lc_setup: LCSetup) -> None:
    task = lc_setup.task
    archs = [lc_setup.space.from_key(k) for k in task.keys[:6]]
    scores, _ = score_archs(lc_setup.space, archs, ["voting"], "cifar10", _small_batch(lc_setup))
    members = np.stack([scores[m] for m in get_proxy("voting").depends])
    agreeing = 0
    for i in range(len(archs)):
        for j in range(len(archs)):
            prefer = np.sign(members[:, i] - members[:, j])
            if np.all(prefer > 0):  # every member prefers arch i
                agreeing += 1
                assert scores["voting"][i] > scores["voting"][j], (i, j)
    assert agreeing >= 3  # enough unanimous pairs to test the sign on
