"""Arch input everywhere (issue #19): every entry point reads an arch in the forms a
user holds (an ``Arch``, its Suite-Zero key, the space's native string or object),
and the NAS loop of the issue's first paragraph runs on NB201 strings.

The forms are checked against published data: GRAF's release pairs each NB201 arch
string with its Suite-Zero key and accuracy, and the Suite-Zero NB101 and DARTS
records are read back from ``ModelSpec``-style specs and DARTS genotypes.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import naspred
from naspred.benchmarks import Task, load_tasks
from naspred.cli import app
from naspred.errors import ArchKeyError, QueryBudgetError, UnknownNameError, WrongTypeError
from naspred.search import BenchmarkOracle, random_search
from naspred.spaces import get_space, parse_arch, parse_archs

#: The one seed of the loop test. Over seeds 0-5 the loop finds 91.02, 91.57, 91.36,
#: 91.57, 91.02, 91.57 (mean 91.35); the same loop with a constant surrogate (it
#: always takes the first child) finds 89.61-90.92, with the surrogate's ranking
#: inverted 90.02-91.05, random search 90.45-91.15 (seed 2: 90.54).
SEED = 2
#: How close to the benchmark's best (91.57) the loop must come in 100 queries.
MARGIN = 0.3


@pytest.fixture(scope="module")
def suite_zero(suite_zero_dir: Path) -> dict[str, Task]:
    return {t.name: t for t in load_tasks(suite_zero=suite_zero_dir)}


@pytest.fixture(scope="module")
def nb201(suite_zero: dict[str, Task]) -> Task:
    return suite_zero["nasbench201/cifar10"]


@pytest.fixture(scope="module")
def nb201_file(suite_zero_dir: Path) -> Path:
    return suite_zero_dir / "zc_nasbench201.json"  # the NB201 records alone load faster


@pytest.fixture(scope="module")
def graf_nets(shared_data: Path) -> pd.DataFrame:
    path = shared_data / "graf" / "nb201_valid_nets.csv"
    if not path.is_file():
        pytest.skip(f"GRAF's NB201 nets not found at {path}")
    return pd.read_csv(path)  # net (Suite-Zero key), net_str (NB201 string), val_accs


# ---- the loop of the first paragraph ------------------------------------------


def test_first_paragraph_loop(nb201_file: Path) -> None:
    # Regularized (aging) evolution whose mutations an XGBoost surrogate screens: each
    # step mutates a tournament's winner 20 times and queries the mutant the surrogate
    # ranks first. Archs are NB201 strings throughout; the oracle counts the queries
    # and answers by Task.lookup. Twelve lines call naspred (marked #n).
    [task] = load_tasks(["nasbench201/cifar10"], suite_zero=nb201_file)  # 1
    space = get_space("nasbench201")  # 2
    oracle = BenchmarkOracle(task, budget=100)  # 3
    rng = np.random.default_rng(SEED)
    population = deque(a.to_nb201_string() for a in space.sample_many(20, seed=SEED))  # 4
    accuracy = dict(zip(population, oracle.lookup(population), strict=True))  # 5
    while oracle.remaining:  # 6
        xgb = naspred.make_predictor("xgb", n_estimators=50, seed=SEED)  # 7
        xgb.fit(list(accuracy), list(accuracy.values()))  # 8
        tournament = rng.choice(population, 10, replace=False)
        parent = space.from_key(max(tournament, key=accuracy.get))  # 9
        mutants = {space.mutate(parent, rng).to_nb201_string() for _ in range(20)}  # 10
        children = sorted(mutants - accuracy.keys())
        if children:
            child = children[int(np.argmax(xgb.query(children)))]  # 11
            accuracy[child] = oracle(child)  # 12
            population.append(child)
            population.popleft()

    assert oracle.n_queries == oracle.n_distinct == len(accuracy) == 100
    assert all(s.startswith("|") for s in accuracy)  # strings, not Arch objects
    # the oracle's answers are the benchmark's records of those strings
    np.testing.assert_array_equal(task.lookup(list(accuracy)), list(accuracy.values()))
    best, benchmark_best = max(accuracy.values()), oracle.best_possible
    assert benchmark_best == 91.57
    assert best >= benchmark_best - MARGIN, best  # 91.36 with this seed
    random_best = random_search(space, BenchmarkOracle(task, budget=100), 100, seed=SEED)
    assert best >= random_best["best"].iloc[-1] + 0.5  # random search: 90.54
    with pytest.raises(QueryBudgetError, match="budget of 100"):
        oracle(child)


# ---- one place that turns a form into an Arch --------------------------------------------


def test_nb201_strings_are_read_as_graf_pairs_them_with_keys(graf_nets: pd.DataFrame) -> None:
    space = get_space("nasbench201")
    archs = [space.from_key(s) for s in graf_nets["net_str"]]
    assert len(archs) == 9445
    assert [a.to_key() for a in archs] == graf_nets["net"].tolist()
    assert [a.to_nb201_string() for a in archs] == graf_nets["net_str"].tolist()
    # the string names its space, so no space is needed; a key of the same arch does not
    assert parse_archs(graf_nets["net_str"][:50]) == archs[:50]
    key = graf_nets["net"][0]
    assert space.from_key(key) is not archs[0] and space.from_key(key) == archs[0]
    assert space.from_key(archs[0]) is archs[0]


def test_nb101_reads_modelspec_forms(suite_zero: dict[str, Task]) -> None:
    from naspred.spaces.nasbench101 import NasBench101Arch

    task = suite_zero["nasbench101/cifar10"]
    space = get_space("nasbench101")
    archs = [space.from_key(k) for k in task.keys]
    specs = [a.to_spec() for a in archs]  # (np matrix, op names), as ModelSpec holds them

    class ModelSpec:  # nasbench's: prunes into .matrix/.ops, keeps the raw spec
        def __init__(self, matrix: np.ndarray, ops: list[str]) -> None:
            self.original_matrix, self.original_ops = matrix, ops
            pruned = NasBench101Arch.from_spec(matrix, ops).pruned()
            self.matrix, self.ops = np.array(pruned.matrix), list(pruned.ops)

    forms = {
        "pair": specs,
        "dict": [{"matrix": m, "ops": o} for m, o in specs],
        "dict string": [str({"matrix": m.tolist(), "ops": o}) for m, o in specs],
        "ModelSpec": [ModelSpec(m, o) for m, o in specs],
    }
    for name, values in forms.items():
        assert [space.from_key(v) for v in values] == archs, name
        np.testing.assert_array_equal(task.lookup(values), task.val_accuracy, err_msg=name)
    assert parse_archs(forms["dict"]) == archs  # a spec names its space
    pruned = sum(ModelSpec(m, o).matrix.shape != m.shape for m, o in specs)
    assert pruned > 0  # the raw spec, not the pruned one, is what the keys hold


def test_darts_reads_genotypes(suite_zero: dict[str, Task]) -> None:
    from naspred.spaces.darts import Genotype

    task = suite_zero["nasbench301/cifar10"]
    space = get_space("nasbench301")
    archs = [space.from_key(k) for k in task.keys]
    genotypes = [a.to_genotype() for a in archs]
    printed = [str(g) for g in genotypes]
    # DARTS's search prints the concat fields as ranges
    ranged = [p.replace("_concat=[2, 3, 4, 5]", "_concat=range(2, 6)") for p in printed]
    assert printed[0].startswith("Genotype(normal=[(") and "range(2, 6)" in ranged[0]
    for name, values in {
        "namedtuple": genotypes,
        "dict": [g._asdict() for g in genotypes],
        "printed": printed,
        "printed with ranges": ranged,
    }.items():
        assert [space.from_key(v) for v in values] == archs, name
        assert parse_archs(values) == archs, name  # a genotype names its space
        np.testing.assert_array_equal(task.lookup(values), task.val_accuracy, err_msg=name)
    wrong = Genotype(genotypes[0].normal, [2, 3], genotypes[0].reduce, [2, 3, 4, 5])
    with pytest.raises(ArchKeyError, match=r"normal_concat \[2, 3\] unsupported"):
        space.from_key(wrong)


def test_transnas_reads_the_benchmark_strings(suite_zero: dict[str, Task]) -> None:
    for name in ("transbench101_micro/jigsaw", "transbench101_macro/jigsaw"):
        task = suite_zero[name]
        space = get_space(task.space)
        archs = [space.from_key(k) for k in task.keys]
        strings = [a.to_bench_string() for a in archs]
        assert [space.from_key(s) for s in strings] == archs
        assert parse_archs(strings) == archs
        np.testing.assert_array_equal(task.lookup(strings), task.val_accuracy)


def test_bad_forms_name_the_input_and_the_forms() -> None:
    nb201 = get_space("nasbench201")
    with pytest.raises(ArchKeyError) as err:
        nb201.from_key("nor_conv_3x3")
    assert "'nor_conv_3x3'" in str(err.value) and "(i0, i1, i2, i3, i4, i5)" in str(err.value)
    assert "NB201/NATS arch string |op~0|+|op~0|op~1|" in str(err.value)
    with pytest.raises(ArchKeyError, match=r"bad NAS-Bench-201 arch string '\|conv~0\|'"):
        nb201.from_key("|conv~0|")  # an NB201 string's shape: that form's own message
    with pytest.raises(ArchKeyError, match="cannot read dict {'a': 1} as an arch of 'nasbench201'"):
        nb201.from_key({"a": 1})
    darts = get_space("nasbench301").sample(np.random.default_rng(0))
    with pytest.raises(WrongTypeError, match="is an arch of space 'nasbench301'"):
        nb201.from_key(darts)
    with pytest.raises(ArchKeyError, match="NB101 spec as nasbench's ModelSpec"):
        get_space("nasbench101").from_key("(0, 1)")
    with pytest.raises(ArchKeyError, match="bad DARTS genotype string"):
        get_space("nasbench301").from_key("Genotype(normal=__import__('os'))")


def test_space_less_reading_asks_for_the_space_where_the_form_is_ambiguous() -> None:
    s = (  # the example
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|"
        "+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
    )
    arch = parse_arch(s)
    assert arch.space == "nasbench201" and arch.to_key() == "(2, 2, 0, 4, 2, 0)"
    assert parse_arch(arch) is arch
    assert parse_arch("(2, 2, 0, 4, 2, 0)", "nasbench201") == arch
    # NB201 and TransNAS micro keys share the layout: the message names both and the fix
    with pytest.raises(ArchKeyError) as err:
        parse_arch("(2, 2, 0, 1, 2, 0)")
    text = str(err.value)
    assert "Suite-Zero keys do not name their space" in text and "space=" in text
    assert "key of nasbench201, transbench101_micro" in text
    with pytest.raises(ArchKeyError, match="no space reads it"):
        parse_arch("resnet50")
    with pytest.raises(WrongTypeError):
        parse_arch(arch, "nasbench101")


# ---- predictors, tasks, the oracle, key files -------------------------------------------


def test_a_predictor_answers_alike_for_every_form(nb201: Task, graf_nets: pd.DataFrame) -> None:
    space = get_space("nasbench201")
    strings, keys = graf_nets["net_str"].tolist(), graf_nets["net"].tolist()
    archs = [space.from_key(k) for k in keys]
    train, test = slice(0, 100), slice(100, 400)
    y = nb201.lookup(strings[train])
    by_string = naspred.make_predictor("xgb", n_estimators=50, seed=0).fit(strings[train], y)
    by_arch = naspred.make_predictor("xgb", n_estimators=50, seed=0).fit(archs[train], y)
    expected = by_arch.query(archs[test])
    for predictor in (by_string, by_arch):
        np.testing.assert_array_equal(predictor.query(archs[test]), expected)
        np.testing.assert_array_equal(predictor.predict(strings[test]), expected)
        # Suite-Zero keys once the space is known from the archs fit saw
        np.testing.assert_array_equal(predictor.query(keys[test]), expected)
    tau = by_string.score(strings[test], nb201.lookup(strings[test]))
    assert tau == by_arch.score(archs[test], nb201.lookup(archs[test])) and tau > 0.4
    # the probabilistic entry point reads the forms too
    gp = naspred.make_predictor("gp", seed=0).fit(strings[train], y)
    for a, b in zip(gp.query_dist(archs[test]), gp.query_dist(strings[test]), strict=True):
        np.testing.assert_array_equal(a, b)
    fresh = naspred.make_predictor("xgb", n_estimators=5)
    with pytest.raises(ArchKeyError, match="Suite-Zero keys do not name their space"):
        fresh.fit(keys[train], y)  # no Arch, no fitted space: keys are ambiguous
    with pytest.raises(WrongTypeError, match="single string"):
        by_arch.query(strings[0])


def test_task_index_and_lookup_read_every_form(nb201: Task, graf_nets: pd.DataFrame) -> None:
    strings, keys = graf_nets["net_str"], graf_nets["net"]
    np.testing.assert_array_equal(nb201.lookup(strings), graf_nets["val_accs"])
    np.testing.assert_array_equal(nb201.index(strings), nb201.index(keys))
    space = get_space("nasbench201")
    mixed = [strings[0], keys[1], space.from_key(keys[2])]
    np.testing.assert_array_equal(nb201.index(mixed), nb201.index(keys[:3]))
    with pytest.raises(UnknownNameError) as err:
        nb201.lookup([strings[0], "|nor_conv_3x3~0|"])
    assert "'|nor_conv_3x3~0|'" in str(err.value) and "bad NAS-Bench-201 arch string" in str(
        err.value
    )
    darts = get_space("nasbench301").sample(np.random.default_rng(0))
    with pytest.raises(UnknownNameError, match="is an arch of space 'nasbench301'"):
        nb201.index([darts])


def test_oracle_counts_total_and_distinct_queries_and_refuses_past_its_budget(
    nb201: Task, graf_nets: pd.DataFrame
) -> None:
    string, key, accuracy = graf_nets.loc[0, ["net_str", "net", "val_accs"]]
    oracle = BenchmarkOracle(nb201, budget=5)
    arch = get_space("nasbench201").from_key(key)
    assert [oracle(string), oracle(key), oracle(arch)] == [accuracy] * 3
    assert (oracle.n_queries, oracle.n_distinct, oracle.remaining) == (3, 1, 2)
    assert oracle.queried == [(key, accuracy)] * 3  # by benchmark key, whatever the form
    with pytest.raises(QueryBudgetError, match="3 spent, 3 more asked for"):
        oracle.lookup(graf_nets["net_str"][1:4])  # a batch past the budget: none answered
    assert (oracle.n_queries, len(oracle.queried)) == (3, 3)
    np.testing.assert_array_equal(
        oracle.lookup(graf_nets["net_str"][1:3]), graf_nets["val_accs"][1:3]
    )
    assert (oracle.n_queries, oracle.n_distinct, oracle.remaining) == (5, 3, 0)
    with pytest.raises(QueryBudgetError, match="budget of 5"):
        oracle(arch)


def test_a_keys_file_of_nb201_strings(
    nb201_file: Path, nb201: Task, graf_nets: pd.DataFrame, tmp_path: Path
) -> None:
    import json

    records = tmp_path / "suite_zero"  # a directory with the NB201 records alone
    records.mkdir()
    (records / nb201_file.name).symlink_to(nb201_file)
    lines = graf_nets["net_str"][:3].tolist()
    keys_file = tmp_path / "archs.txt"
    keys_file.write_text(f"{lines[0]}\n\n{lines[1]}\n{lines[2]}\n")
    args = ["proxies", "compute", "-t", "nasbench201/cifar10", "--suite-zero-dir"]
    args += [str(records), "-P", "params", "--backend", "serial", "--no-progress"]
    args += ["--keys-file", str(keys_file), "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    written = json.loads((tmp_path / "out" / "zc_nasbench201.json").read_text())
    scored = written["nasbench201"]["cifar10"]
    keys = graf_nets["net"][:3].tolist()
    assert list(scored) == keys  # stored by the Suite-Zero keys, in the file's order
    rows = nb201.index(keys)
    assert [scored[k]["val_accuracy"] for k in keys] == nb201.val_accuracy[rows].tolist()
    space = get_space("nasbench201")  # each network was built from its string's arch
    params = [space.complexity(space.from_key(k), "cifar10")[0] for k in keys]
    assert [scored[k]["params"]["score"] for k in keys] == pytest.approx(params, rel=1e-6)
    assert len(set(params)) == 2  # (two of the three cells differ in parameters)
    keys_file.write_text(f"{lines[0]}\n|nor_conv_3x3~0|\n")
    bad = CliRunner().invoke(app, args)
    assert bad.exit_code == 2
    assert bad.output.startswith(f"error: {keys_file} line 2: bad NAS-Bench-201 arch string")
