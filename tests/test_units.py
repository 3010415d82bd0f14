"""The journal's one torn-line rule and the unit runner's skip / fail / retry rules."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from naspred.errors import InvalidInputError, JournalError
from naspred.experiments.units import SkipUnit, Unit, run_units
from naspred.journal import Journal, read_lines, write_json_atomic


def _square(x: int) -> dict[str, float]:
    return {"value": float(x * x)}


def _flaky(marker: str, x: int) -> dict[str, float]:
    """Fails while ``marker`` exists (a transient error, e.g. out of memory)."""
    if Path(marker).exists():
        raise MemoryError("out of memory")
    return {"value": float(x)}


def _too_small(n: int) -> dict[str, float]:
    if n < 3:
        raise SkipUnit(f"{n} archs, too few")
    return {"value": float(n)}


def test_finished_units_are_skipped_and_results_journaled(tmp_path):
    path = tmp_path / "j.jsonl"
    units = [Unit(f"u{i}", _square, (i,), {"i": i}) for i in range(5)]
    first = run_units(units[:3], path, progress=False)
    assert (first.ran, first.done_before) == (3, 0)
    second = run_units(units, path, progress=False)
    assert (second.ran, second.done_before) == (2, 3)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["unit"] for r in rows] == ["u0", "u1", "u2", "u3", "u4"]  # each once
    assert rows[4] == {"unit": "u4", "i": 4, "status": "ok", "value": 16.0}


def test_a_failed_unit_is_recorded_and_retried_only_on_request(tmp_path):
    marker = tmp_path / "oom"
    marker.touch()
    path = tmp_path / "j.jsonl"
    units = [Unit(f"u{i}", _flaky, (str(marker), i)) for i in range(3)]
    report = run_units(units, path, progress=False)
    assert report.failed == 3 and "MemoryError: out of memory" in report.failures[0]
    row = Journal(path).get("u1")
    assert row["status"] == "failed" and "MemoryError" in row["traceback"]
    marker.unlink()  # the transient cause is gone
    assert run_units(units, path, progress=False).ran == 0  # failures count as done...
    again = run_units(units, path, retry_failed=True, progress=False)  # ...unless asked
    assert (again.ran, again.retried, again.failed) == (3, 3, 0)
    assert Journal(path).get("u1") == {"unit": "u1", "status": "ok", "value": 1.0}


def test_skipped_units_are_results_and_keys_must_be_distinct(tmp_path):
    journal = Journal(None)
    report = run_units([Unit(f"n{n}", _too_small, (n,)) for n in (2, 5)], journal, progress=False)
    assert report.failed == 0
    assert journal.get("n2") == {"unit": "n2", "status": "skipped", "error": "2 archs, too few"}
    assert journal.get("n5")["value"] == 5.0
    with pytest.raises(InvalidInputError, match="repeated: \\['a'\\]"):
        run_units([Unit("a", _square, (1,)), Unit("a", _square, (2,))], None, progress=False)


def test_local_backend_gives_the_serial_results(tmp_path):
    units = [Unit(f"u{i}", _square, (i,)) for i in range(6)]
    run_units(units, tmp_path / "serial.jsonl", progress=False)
    run_units(units, tmp_path / "local.jsonl", backend="local", n_jobs=2, progress=False)
    serial = {r["unit"]: r for r in Journal(tmp_path / "serial.jsonl")}
    local = {r["unit"]: r for r in Journal(tmp_path / "local.jsonl")}
    assert serial == local and serial["u5"]["value"] == 25.0


def test_one_torn_line_rule(tmp_path):
    path = tmp_path / "j.jsonl"
    journal = Journal(path)
    journal.add({"unit": "a", "x": np.float32(0.5), "bad": math.nan, "v": np.arange(2)})
    journal.add({"unit": "b", "x": 1})
    with path.open("a") as fh:
        fh.write('{"unit": "c", "x')  # killed mid-write
    lines, end, torn = read_lines(path)
    assert torn and [n for n, _ in lines] == [1, 2] and end < path.stat().st_size
    reopened = Journal(path)  # drops the torn line and cuts it off the file
    assert len(reopened) == 2 and reopened.get("a") == {"unit": "a", "x": 0.5, "bad": None,
                                                         "v": [0, 1]}  # fmt: skip
    reopened.add({"unit": "c", "x": 2})
    assert [json.loads(x)["unit"] for x in path.read_text().splitlines()] == ["a", "b", "c"]
    # a whole last object without its newline is kept, and the next append starts a line
    path.write_text('{"unit": "a"}\n{"unit": "b"}')
    kept = Journal(path)
    assert len(kept) == 2
    kept.add({"unit": "c"})
    assert path.read_text() == '{"unit": "a"}\n{"unit": "b"}\n{"unit": "c"}\n'
    # damage that is not a kill names the file and the line
    path.write_text('{"unit": "a"}\nnot json\n{"unit": "b"}\n')
    with pytest.raises(JournalError, match="line 2 is not valid JSON"):
        Journal(path)
    with pytest.raises(JournalError, match="is a directory"):
        Journal(tmp_path)


def test_atomic_json_leaves_no_temporary_file(tmp_path):
    path = write_json_atomic(tmp_path / "out.json", {"score": math.inf, "n": np.int64(3)})
    assert json.loads(path.read_text()) == {"score": None, "n": 3}
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]
