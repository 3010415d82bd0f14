"""naspred.reports: figures that leave the matplotlib backend alone, and outputs
written whole (a killed, failed or repeated write never leaves a mix of two runs)."""

from __future__ import annotations

import ast
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import naspred.reports.output as output
from naspred.benchmarks.learning_curves import embedded_learning_curves
from naspred.errors import InvalidInputError
from naspred.experiments import run_correlation_study
from naspred.experiments.predictors import run_predictor_study, write_predictor_tables
from naspred.journal import Journal
from naspred.predictors.spec import PredictorSpec
from naspred.reports.correlations import OUTPUTS as CORRELATION_OUTPUTS
from naspred.reports.nas_loop import write_search_outputs
from naspred.reports.output import output_dir, recover_output_dir

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "naspred"


def _env(**extra: str) -> dict[str, str]:
    """The environment of a child python that imports this checkout's naspred."""
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return {**env, **extra}


def _python(code: str, **env: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_env(**env),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (hidden ones too) by relative path, with its bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.glob(f".{out.name}.naspred-*"))


# ---- the backend ------------------------------------------------------------------


def test_importing_naspred_keeps_the_backend_the_user_chose():
    code = (
        "import matplotlib; matplotlib.use('svg'); import naspred.reports.figures, "
        "naspred.metrics, naspred.experiments.correlations; print(matplotlib.get_backend())"
    )
    assert _python(code) == "svg"


def test_importing_naspred_and_drawing_never_selects_a_backend(tmp_path):
    # nothing chose a backend (MPLBACKEND unset): naspred must not choose one either,
    # neither at import nor when it draws, and must never call matplotlib.use
    code = textwrap.dedent(
        f"""
        import matplotlib, sys
        calls = []
        real_use = matplotlib.use
        matplotlib.use = lambda *a, **k: (calls.append(a), real_use(*a, **k))
        before = matplotlib.rcParams._get("backend")
        import naspred.metrics, naspred.reports.figures, naspred.reports.correlations
        import naspred.reports.predictors, naspred.reports.tradeoff, naspred.reports.compare
        import naspred.reports.nas_loop, naspred.experiments.correlations
        import naspred.experiments.predictors, naspred.experiments.tradeoff
        import naspred.experiments.nas_loop, naspred.experiments.compare
        imported = matplotlib.rcParams._get("backend") is before
        pyplot = "matplotlib.pyplot" in sys.modules
        import pandas as pd
        from naspred.reports.figures import correlation_heatmap
        m = pd.DataFrame([[1.0, 0.5], [0.5, 1.0]], index=["a", "b"], columns=["a", "b"])
        png = correlation_heatmap(m, {str(tmp_path / "m.png")!r}, title="t")
        drawn = matplotlib.rcParams._get("backend") is before
        print(imported, drawn, pyplot, calls, png.read_bytes()[:4])
        """
    )
    assert _python(code) == "True True False [] b'\\x89PNG'"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_only_reports_figures_imports_matplotlib_and_reports_never_import_experiments():
    plotting = {
        p.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.rglob("*.py")
        if any(n.split(".")[0] in {"matplotlib", "seaborn"} for n in _imports(p))
    }
    assert plotting == {"reports/figures.py"}
    assert "matplotlib.use" not in (PACKAGE / "reports" / "figures.py").read_text()
    for path in (PACKAGE / "reports").glob("*.py"):
        assert not any(n.startswith("naspred.experiments") for n in _imports(path)), path.name


# ---- output_dir ---------------------------------------------------------------------


def _write(out: Path, files: dict[str, str], owns: tuple[str, ...] = ()) -> None:
    with output_dir(out, owns=owns) as staging:
        for rel, text in files.items():
            (staging / rel).parent.mkdir(parents=True, exist_ok=True)
            (staging / rel).write_text(text)


def test_output_dir_installs_the_new_set_and_keeps_what_is_not_the_writers(tmp_path):
    out = tmp_path / "tables"
    _write(out, {"a.csv": "1", "b.md": "1", "plots/x.png": "1", "plots/old.png": "1"})
    (out / "store.jsonl").write_text('{"unit": "u1"}\n')
    (out / "other" / "task").mkdir(parents=True)
    (out / "other" / "task" / "tradeoff.md").write_text("another task's table")
    (out / "plots" / "NOTES.txt").write_text("mine")
    (out / "empty").mkdir()
    store_inode = (out / "store.jsonl").stat().st_ino
    out.chmod(0o750)

    _write(
        out, {"a.csv": "2", "b.md": "2", "plots/x.png": "2"}, owns=("*.csv", "*.md", "plots/*.png")
    )
    assert snapshot(out) == {
        "a.csv": b"2",
        "b.md": b"2",
        "plots/x.png": b"2",  # plots/old.png: owned and not written again, so stale: gone
        "plots/NOTES.txt": b"mine",
        "store.jsonl": b'{"unit": "u1"}\n',
        "other/task/tradeoff.md": b"another task's table",
    }
    assert (out / "empty").is_dir()
    # the store is the same file (hard-linked), not a copy: an open appender loses nothing
    assert (out / "store.jsonl").stat().st_ino == store_inode
    assert stat.S_IMODE(out.stat().st_mode) == 0o750  # not mkdtemp's 0o700
    assert leftovers(out) == []


def test_a_writer_raising_halfway_leaves_the_old_outputs_untouched(tmp_path):
    out = tmp_path / "tables"
    _write(out, {"a.csv": "old", "b.md": "old"})
    before = snapshot(out)
    with pytest.raises(RuntimeError, match="halfway"), output_dir(out) as staging:
        (staging / "a.csv").write_text("")  # the 0-byte file a kill used to leave
        raise RuntimeError("halfway")
    assert snapshot(out) == before and leftovers(out) == []


def test_first_write_creates_the_directory_and_its_parents(tmp_path):
    out = tmp_path / "a" / "b" / "tables"
    _write(out, {"x.csv": "1"})
    assert snapshot(out) == {"x.csv": b"1"} and leftovers(out) == []


def test_the_fallback_swap_and_its_recovery(tmp_path, monkeypatch):
    # where RENAME_EXCHANGE is missing: rename the old set aside, the new into place
    monkeypatch.setattr(output, "_renameat2", None)
    out = tmp_path / "tables"
    _write(out, {"a.csv": "1"})
    (out / "store.jsonl").write_text("s")
    _write(out, {"a.csv": "2"})
    assert snapshot(out) == {"a.csv": b"2", "store.jsonl": b"s"} and leftovers(out) == []

    # a kill between the two renames: the path is missing, the old set lies aside
    aside = tmp_path / ".tables.naspred-old-0123"
    out.rename(aside)
    staged = tmp_path / ".tables.naspred-new-4567"
    staged.mkdir()
    (staged / "a.csv").write_text("3")
    recover_output_dir(out)
    assert snapshot(out) == {"a.csv": b"2", "store.jsonl": b"s"} and leftovers(out) == []


def test_leftovers_of_a_live_writer_are_left_alone(tmp_path):
    out = tmp_path / "tables"
    _write(out, {"a.csv": "1"})
    busy = tmp_path / ".tables.naspred-new-busy"
    dead = tmp_path / ".tables.naspred-new-dead"
    busy.mkdir(), dead.mkdir()
    fd = output._lock(busy)  # as a writer in another process holds it
    assert fd is not None
    try:
        recover_output_dir(out)
        assert leftovers(out) == [busy.name]
    finally:
        os.close(fd)
    recover_output_dir(out)
    assert leftovers(out) == []


def test_output_dir_refuses_what_it_must_not_swap(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("x")
    with pytest.raises(InvalidInputError, match="is a file"), output_dir(tmp_path / "file"):
        pass
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InvalidInputError, match="current directory"), output_dir("."):
        pass
    with pytest.raises(InvalidInputError, match="current directory"), output_dir(".."):
        pass
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    with pytest.raises(InvalidInputError, match="git repository"), output_dir(repo):
        pass
    # a foreign directory where the writer puts a file: refused, nothing changed
    out = tmp_path / "tables"
    (out / "a.csv").mkdir(parents=True)
    (out / "a.csv" / "keep").write_text("k")
    with pytest.raises(InvalidInputError, match="in the way"):
        _write(out, {"a.csv": "1"})
    assert snapshot(out) == {"a.csv/keep": b"k"} and leftovers(out) == []


def test_a_symlinked_output_dir_stays_a_symlink(tmp_path):
    real = tmp_path / "real"
    _write(real, {"a.csv": "1"})
    link = tmp_path / "link"
    link.symlink_to(real)
    _write(link, {"a.csv": "2"})
    assert link.is_symlink() and snapshot(real) == {"a.csv": b"2"}


def test_search_writers_with_other_stems_share_a_directory(tmp_path):
    history = pd.DataFrame(
        {
            "method": ["random"] * 4,
            "seed": [0, 0, 1, 1],
            "query": [1, 2, 1, 2],
            "best": [90.0, 91.0, 89.0, 92.0],
            "run_s": [0.1] * 4,
        }
    )
    out = tmp_path / "nas_loop"
    a = write_search_outputs(history, out, title="a", stem="a", checkpoints=(1, 2))
    b = write_search_outputs(history, out, title="b", stem="b", checkpoints=(1, 2))
    assert set(snapshot(out)) == {p.name for p in [*a.values(), *b.values()]}
    assert all(p.parent == out and p.is_file() for p in [*a.values(), *b.values()])
    assert "| random " in (out / "a.md").read_text() and "# b" in (out / "b.md").read_text()


# ---- real writers: a store survives, a raising writer changes nothing ----------------


@pytest.fixture(scope="module")
def lc_task():
    # the benchmark shipped in the package: 1,000 NB201 archs with 6 stored proxies
    [task] = embedded_learning_curves()
    return task


def test_a_store_in_the_output_dir_survives_every_rewrite(lc_task, tmp_path):
    # studies/predictors.py keeps its store beside the tables, in the output dir
    out = tmp_path / "tables" / "predictors"
    store = out / "store.jsonl"
    specs = [PredictorSpec("zc", {"proxy": "synflow"}), PredictorSpec("rf")]
    results = run_predictor_study([lc_task], specs, [20], [0], store, test_size=200, progress=False)
    first = write_predictor_tables(results, out)
    assert {f.name for f in first} == {
        "predictors.csv",
        "summary.csv",
        "predictors.md",
        "kendall_vs_train_size_nasbench201__cifar10-lc.png",
    }
    assert all(f.parent == out and f.stat().st_size > 0 for f in first)
    lines = store.read_text().splitlines()
    assert len(lines) == 2

    # resume with a second seed: the same store gains its cells, the tables are redone
    results = run_predictor_study(
        [lc_task], specs, [20], [0, 1], store, test_size=200, progress=False
    )
    write_predictor_tables(results, out)
    assert store.read_text().splitlines()[:2] == lines and len(store.read_text().splitlines()) == 4
    assert len(Journal(store)) == 4
    assert set(pd.read_csv(out / "predictors.csv")["seed"]) == {0, 1}
    assert set(snapshot(out)) == {f.name for f in first} | {"store.jsonl"}

    # a table with no finished cell is refused before anything is staged: untouched
    before = snapshot(out)
    failed = results.assign(status="failed", error="boom")
    with pytest.raises(InvalidInputError, match="no finished cells"):
        write_predictor_tables(failed, out)
    assert snapshot(out) == before and leftovers(out) == []


# ---- kill -9 during the write phase, with real processes ----------------------------

CHILD = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path

    import naspred.reports.correlations as rc
    import naspred.reports.output as ro
    from naspred.benchmarks.learning_curves import embedded_learning_curves
    from naspred.experiments import run_correlation_study

    mode, out, marker, title = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
    tasks = embedded_learning_curves()

    def hang():
        marker.write_text(str(os.getpid()))
        time.sleep(600)  # killed here

    if mode == "mid":  # stop once the per-task heatmap is written, before the mean one
        draw = rc.triangle_heatmap
        def heatmap(layout, path, **kw):
            path = draw(layout, path, **kw)
            if path.parent.name == "heatmaps":
                hang()
            return path
        rc.triangle_heatmap = heatmap
    elif mode == "swapped":  # the new set is in place, the old one not yet removed
        ro._remove_tree = lambda path: hang()
    elif mode == "between":  # the fallback swap, between its two renames
        ro._renameat2 = None
        rename = ro._rename
        def between(src, dst):
            rename(src, dst)
            if ".naspred-old-" in dst.name:
                hang()
        ro._rename = between

    if mode == "loop":  # rewrite forever, alternating two titles, until killed
        marker.write_text("ready")
        other = title + " (again)"
        while True:
            for t in (title, other):
                run_correlation_study(tasks, out, title=t, progress=False)
    run_correlation_study(tasks, out, title=title, progress=False)
    """
)

TITLE_A, TITLE_B = "First run", "Second run"


@pytest.fixture(scope="module")
def sets(tmp_path_factory):
    """The complete outputs of the correlation study on the shipped benchmark under
    each title the children use, written by a normal run in this process."""
    tasks = embedded_learning_curves()
    found = {}
    for title in (TITLE_A, TITLE_B, f"{TITLE_A} (again)", f"{TITLE_B} (again)"):
        where = tmp_path_factory.mktemp("reference")
        run_correlation_study(tasks, where, title=title, progress=False)
        found[title] = snapshot(where)
    assert len({tuple(sorted(s.items())) for s in found.values()}) == 4  # titles differ
    return found


FOREIGN = {
    "results.jsonl": b'{"unit": "u1", "status": "ok"}\n',
    "README.md": b"# written by a study script\n",
    "heatmaps/NOTES.txt": b"a note beside the heatmaps\n",
    "other__task/tradeoff.md": b"another task's table\n",
}


def _previous(tmp_path: Path) -> Path:
    """An output dir holding the first run's complete tables and foreign files."""
    out = tmp_path / "tables" / "correlations"
    run_correlation_study(embedded_learning_curves(), out, title=TITLE_A, progress=False)
    for rel, data in FOREIGN.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)
    return out


def _child(mode: str, out: Path, marker: Path, title: str) -> subprocess.Popen:
    script = out.parent.parent / "child.py"
    script.write_text(CHILD)
    return subprocess.Popen(
        [sys.executable, str(script), mode, str(out), str(marker), title],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _kill_when(child: subprocess.Popen, marker: Path, delay: float = 0.0) -> None:
    deadline = time.monotonic() + 240
    while not marker.exists():
        if child.poll() is not None:
            raise AssertionError(child.stderr.read().decode())
        assert time.monotonic() < deadline, "the child never reached the kill point"
        time.sleep(0.02)
    time.sleep(delay)
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait(timeout=60) == -signal.SIGKILL
    child.stderr.close()


def _whole(title: str, sets: dict[str, dict[str, bytes]]) -> dict[str, bytes]:
    return {**sets[title], **FOREIGN}


def test_kill_during_the_write_leaves_the_previous_set(sets, tmp_path):
    out = _previous(tmp_path)
    assert snapshot(out) == _whole(TITLE_A, sets)
    marker = tmp_path / "marker"
    _kill_when(_child("mid", out, marker, TITLE_B), marker)
    assert snapshot(out) == _whole(TITLE_A, sets)
    # the kill did land mid-write: the staging dir holds part of the new set
    [staged] = leftovers(out)
    partial = snapshot(out.parent / staged)
    # (spearman.png carries the new title; the markdown, which lists the figures, and
    # the mean heatmap come after the per-task heatmaps)
    assert partial["spearman.png"] == sets[TITLE_B]["spearman.png"]
    assert "heatmap_mean.png" not in partial and "correlations.md" not in partial
    # the next run writes the new set and cleans what the killed one left
    run_correlation_study(embedded_learning_curves(), out, title=TITLE_B, progress=False)
    assert snapshot(out) == _whole(TITLE_B, sets) and leftovers(out) == []


def test_kill_after_the_swap_leaves_the_new_set(sets, tmp_path):
    out = _previous(tmp_path)
    marker = tmp_path / "marker"
    _kill_when(_child("swapped", out, marker, TITLE_B), marker)
    assert snapshot(out) == _whole(TITLE_B, sets)
    assert len(leftovers(out)) == 1  # the previous set, not yet removed
    run_correlation_study(embedded_learning_curves(), out, title=TITLE_A, progress=False)
    assert snapshot(out) == _whole(TITLE_A, sets) and leftovers(out) == []


def test_kill_inside_the_fallback_swap_is_recovered(sets, tmp_path):
    out = _previous(tmp_path)
    marker = tmp_path / "marker"
    _kill_when(_child("between", out, marker, TITLE_B), marker)
    assert not out.exists()  # the one moment the fallback cannot cover...
    recover_output_dir(out)  # ...repaired by the next write, which calls this first
    assert snapshot(out) == _whole(TITLE_A, sets) and leftovers(out) == []


def test_kill_at_random_moments_of_repeated_writes(sets, tmp_path):
    out = _previous(tmp_path)
    complete = [_whole(title, sets) for title in sets]  # any run's, never a mix
    rng = np.random.default_rng(0)
    for round_, title in enumerate([TITLE_B, TITLE_A, TITLE_B]):
        marker = tmp_path / f"ready{round_}"
        # a write of the 3 heatmaps and the tables takes about a second here
        _kill_when(_child("loop", out, marker, title), marker, delay=rng.uniform(0.2, 2.5))
        now = snapshot(out)
        assert any(now == s for s in complete), sorted(now)
    run_correlation_study(embedded_learning_curves(), out, title=TITLE_B, progress=False)
    assert snapshot(out) == _whole(TITLE_B, sets) and leftovers(out) == []


def test_correlation_writer_owns_exactly_what_it_writes(sets):
    names = set(sets[TITLE_A])
    assert all(output._owned(rel, CORRELATION_OUTPUTS) for rel in names)
    assert not any(output._owned(rel, CORRELATION_OUTPUTS) for rel in FOREIGN)


def test_protocol_table_sets_tasks_side_by_side() -> None:
    from naspred.reports.predictors import protocol_table

    def row(task, predictor, size, seed, tau):
        return dict(
            task=task, predictor=predictor, train_size=size, seed=seed, status="ok",
            kendall=tau, fit_s=1.0, query_s=0.1,
        )  # fmt: skip

    rows = [
        row("t/all", "a", 10, 0, 0.2), row("t/all", "a", 10, 1, 0.4),
        row("t/valid", "a", 10, 0, 0.5), row("t/valid", "a", 10, 1, 0.5),
        row("t/all", "a", 100, 0, 0.7),  # the valid task did not run size 100
        row("t/all", "b", 10, 0, 0.9),  # b ran on one task only: left out
        row("t/all", "a", 500, 0, 0.1),  # a size not asked for
    ]  # fmt: skip
    table = protocol_table(pd.DataFrame(rows), [10, 100]).splitlines()
    header = [c.strip() for c in table[0].strip("|").split("|")]
    assert header == ["predictor", "t/all @ 10", "t/valid @ 10", "t/all @ 100"]
    cells = [c.strip() for c in table[2].strip("|").split("|")]
    assert cells == ["a", "0.300 ± 0.141", "0.500 ± 0.000", "0.700"]
    assert len(table) == 3  # b is not a row
    with pytest.raises(InvalidInputError, match="training sizes"):
        protocol_table(pd.DataFrame(rows), [20])
