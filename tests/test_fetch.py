"""``naspred data``: fetching against a real HTTP server on 127.0.0.1 that serves
../shared/data, with Range support and a switch that cuts a response short.

No test touches the real user cache: ``$NASPRED_DATA`` points into ``tmp_path``.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import json
import mimetypes
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from typer.testing import CliRunner

from naspred.cli import app
from naspred.errors import DataUnavailableError
from naspred.fetch import (
    SOURCES,
    RemoteFile,
    Source,
    data_home,
    fetch_source,
    fetched_dir,
    source_status,
)
from naspred.fetch.download import part_path

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()
NB201 = "suite_zero/zc_nasbench201.json"


class _Handler(http.server.BaseHTTPRequestHandler):
    """GET with ``Range: bytes=N-``; the server's ``cut_after`` (one-shot) sends only that
    many body bytes, then closes the connection; ``ignore_range`` answers 200 to ranges."""

    server: _Server

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        rng = self.headers.get("Range")
        self.server.requests.append((self.path, rng))
        path = self.server.root / unquote(urlparse(self.path).path).lstrip("/")
        if not path.is_file():
            self.send_error(404)
            return
        data = path.read_bytes()
        start = 0
        match = re.fullmatch(r"bytes=(\d+)-", rng or "")
        if match and not self.server.ignore_range:
            start = int(match[1])
            if start >= len(data):
                self.send_error(416)
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        kind = self.server.content_type or mimetypes.guess_type(path.name)[0] or "text/plain"
        self.send_header("Content-Type", kind)
        self.end_headers()
        cut, self.server.cut_after = self.server.cut_after, None
        if cut is not None:
            self.wfile.write(body[:cut])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        try:
            stall, self.server.stall_after = self.server.stall_after, None
            if stall is not None:  # half now, the rest once released (or never)
                self.wfile.write(body[:stall])
                self.wfile.flush()
                self.server.stalled.set()
                self.server.release.wait(60)
                body = body[stall:]
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client may hang up (a web page it refuses, a killed process)

    def log_message(self, *args: object) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, root: Path) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.root = root
        self.requests: list[tuple[str, str | None]] = []
        self.cut_after: int | None = None
        self.ignore_range = False
        self.content_type: str | None = None  # e.g. text/html, as a sign-in page is sent
        self.stall_after: int | None = None  # one-shot: send this many bytes, then wait
        self.stalled = threading.Event()
        self.release = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@contextlib.contextmanager
def _serving(root: Path) -> Iterator[_Server]:
    srv = _Server(root)
    thread = threading.Thread(target=srv.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.release.set()
        srv.shutdown()
        srv.server_close()
        thread.join(5)


@pytest.fixture
def server(shared_data: Path) -> Iterator[_Server]:
    with _serving(shared_data) as srv:
        yield srv


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "cache"
    monkeypatch.setenv("NASPRED_DATA", str(home))
    monkeypatch.delenv("NASPRED_SUITE_ZERO_DIR", raising=False)
    return home


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens there now: connection refused


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _register(monkeypatch: pytest.MonkeyPatch, urls: list[str], sha256: str | None) -> Source:
    source = Source(
        "test-nb201",
        "NB201 Suite-Zero records from the test server",
        (RemoteFile("zc_nasbench201.json", tuple(urls), sha256=sha256),),
        "copy zc_nasbench201.json by hand into {dir}",
    )
    monkeypatch.setitem(SOURCES, source.name, source)
    return source


def test_the_cache_is_naspred_data_else_the_xdg_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NASPRED_DATA", str(tmp_path / "mine"))
    assert data_home() == tmp_path / "mine"
    monkeypatch.delenv("NASPRED_DATA")
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data_home() == tmp_path / "xdg" / "naspred"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")  # the XDG rule: absolute only
    assert data_home() == Path.home() / ".cache" / "naspred"


def test_fetch_places_the_file_byte_identical_and_records_its_sha256(
    server: _Server, cache: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = shared_data / NB201
    sha = _sha256(original)
    _register(monkeypatch, [f"{server.url}/{NB201}"], sha)
    [done] = fetch_source("test-nb201")
    dest = cache / "test-nb201" / "zc_nasbench201.json"
    assert done.action == "fetched" and done.path == dest and done.state == "present"
    assert dest.read_bytes() == original.read_bytes()
    assert not part_path(dest).exists()
    entry = json.loads((cache / "manifest.json").read_text())["files"][
        "test-nb201/zc_nasbench201.json"
    ]
    assert entry["sha256"] == sha and entry["size"] == original.stat().st_size
    assert entry["url"] == f"{server.url}/{NB201}" and entry["source"] == "test-nb201"
    # a second fetch downloads nothing
    server.requests.clear()
    [again] = fetch_source("test-nb201")
    assert again.action == "present" and server.requests == []


def test_a_checksum_mismatch_leaves_no_file_and_names_url_and_both_checksums(
    server: _Server, cache: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "0" * 64
    url = f"{server.url}/{NB201}"
    _register(monkeypatch, [url], wrong)
    with pytest.raises(DataUnavailableError) as err:
        fetch_source("test-nb201")
    message = str(err.value)
    assert url in message and wrong in message and _sha256(shared_data / NB201) in message
    dest = cache / "test-nb201" / "zc_nasbench201.json"
    assert not dest.exists() and not part_path(dest).exists()
    assert [s.state for s in source_status("test-nb201")] == ["absent"]


def test_a_download_cut_halfway_resumes_with_a_range_request(
    server: _Server, cache: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = (shared_data / NB201).read_bytes()
    half = len(original) // 2
    _register(monkeypatch, [f"{server.url}/{NB201}"], hashlib.sha256(original).hexdigest())
    server.cut_after = half
    with pytest.raises(DataUnavailableError, match="next fetch resumes it"):
        fetch_source("test-nb201")
    dest = cache / "test-nb201" / "zc_nasbench201.json"
    assert not dest.exists() and part_path(dest).stat().st_size == half
    [status] = source_status("test-nb201")
    assert status.state == "partial" and status.size == half

    [done] = fetch_source("test-nb201")
    assert server.requests[-1] == (f"/{NB201}", f"bytes={half}-")
    assert done.action == "resumed" and dest.read_bytes() == original
    assert not part_path(dest).exists()


def test_a_fetch_killed_halfway_resumes_where_it_stopped(
    server: _Server, cache: Path, shared_data: Path
) -> None:
    """``kill -9`` of ``naspred data fetch`` while half the file is in: the next fetch
    (its lock died with it) asks for the rest with ``Range`` and the file comes out whole."""
    original = (shared_data / "suite_zero/zc_nasbench101.json").read_bytes()
    half = len(original) // 2
    server.stall_after = half  # the first file requested: zc_nasbench101.json
    mirror = f"{server.url}/suite_zero"
    proc = subprocess.Popen(
        [sys.executable, "-m", "naspred", "data", "fetch", "suite-zero", "--mirror", mirror],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    part = part_path(cache / "suite-zero" / "zc_nasbench101.json")
    try:
        assert server.stalled.wait(120), "the fetch never started"
        deadline = time.monotonic() + 60
        while not (part.is_file() and part.stat().st_size == half):
            assert time.monotonic() < deadline, "the .part never held the bytes sent"
            time.sleep(0.02)
        # a second fetch meanwhile is refused: two never write one .part
        with pytest.raises(DataUnavailableError, match="another naspred process"):
            fetch_source("suite-zero", mirrors=[mirror])
    finally:
        proc.kill()
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    assert not (cache / "suite-zero" / "zc_nasbench101.json").exists()

    server.requests.clear()
    done = fetch_source("suite-zero", mirrors=[mirror])
    assert server.requests[0] == ("/suite_zero/zc_nasbench101.json", f"bytes={half}-")
    assert [d.action for d in done] == ["resumed"] + ["fetched"] * 4
    assert (cache / "suite-zero" / "zc_nasbench101.json").read_bytes() == original


def test_a_server_that_ignores_range_gets_the_file_from_the_start(
    server: _Server, cache: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = (shared_data / NB201).read_bytes()
    _register(monkeypatch, [f"{server.url}/{NB201}"], hashlib.sha256(original).hexdigest())
    dest = cache / "test-nb201" / "zc_nasbench201.json"
    dest.parent.mkdir(parents=True)
    part_path(dest).write_bytes(original[:1000])
    server.ignore_range = True
    [done] = fetch_source("test-nb201")
    assert server.requests == [(f"/{NB201}", "bytes=1000-")]  # asked, answered with 200
    assert done.action == "fetched" and dest.read_bytes() == original


def test_the_first_mirror_down_the_second_is_used(
    server: _Server, cache: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    down = f"{_closed_port_url()}/{NB201}"
    _register(monkeypatch, [down, f"{server.url}/{NB201}"], _sha256(shared_data / NB201))
    [done] = fetch_source("test-nb201")
    assert done.url == f"{server.url}/{NB201}"
    assert done.path.read_bytes() == (shared_data / NB201).read_bytes()


def test_all_mirrors_down_is_one_error_naming_each_url_and_the_manual_step(
    server: _Server, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    down = f"{_closed_port_url()}/{NB201}"
    missing = f"{server.url}/suite_zero/no_such_file.json"
    _register(monkeypatch, [down, missing], None)
    result = runner.invoke(app, ["data", "fetch", "test-nb201", "--no-progress"])
    assert result.exit_code == 2, result.output
    [line] = [ln for ln in result.output.splitlines() if ln.startswith("error:")]
    assert down in line and "refused" in line.lower()
    assert missing in line and "HTTP 404" in line
    assert f"copy zc_nasbench201.json by hand into {cache / 'test-nb201'}" in line
    assert not (cache / "test-nb201" / "zc_nasbench201.json").exists()


def test_a_web_page_instead_of_the_file_is_a_failed_mirror(
    server: _Server, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"{server.url}/{NB201}"
    _register(monkeypatch, [url], None)
    server.content_type = "text/html"  # what Google Drive sends when it wants a browser
    with pytest.raises(DataUnavailableError, match="sent a web page") as err:
        fetch_source("test-nb201")
    assert url in str(err.value) and "by hand" in str(err.value)
    assert list((cache / "test-nb201").iterdir()) == []
    assert "test-nb201/zc_nasbench201.json" not in _manifest(cache)


def _manifest(cache: Path) -> dict:
    path = cache / "manifest.json"
    return json.loads(path.read_text())["files"] if path.is_file() else {}


def test_a_file_placed_by_hand_is_checked_and_recorded(
    server: _Server, cache: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = shared_data / NB201
    _register(monkeypatch, [f"{server.url}/{NB201}"], _sha256(original))
    dest = cache / "test-nb201" / "zc_nasbench201.json"
    dest.parent.mkdir(parents=True)
    dest.write_bytes(original.read_bytes()[:-1] + b" ")  # one byte off
    with pytest.raises(DataUnavailableError, match="does not match its published checksum"):
        fetch_source("test-nb201")
    dest.write_bytes(original.read_bytes())
    [done] = fetch_source("test-nb201")
    assert done.action == "recorded" and server.requests == []  # nothing downloaded
    entry = _manifest(cache)["test-nb201/zc_nasbench201.json"]
    assert entry["sha256"] == _sha256(original) and entry["url"] is None


def test_an_unknown_source_is_named_with_the_known_ones(cache: Path) -> None:
    result = runner.invoke(app, ["data", "fetch", "suite-zer0"])
    assert result.exit_code == 2
    assert "no data source 'suite-zer0'" in result.output and "suite-zero" in result.output


def test_data_list_shows_present_absent_and_the_recorded_sha256(
    server: _Server, cache: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sha = _sha256(shared_data / NB201)
    _register(monkeypatch, [f"{server.url}/{NB201}"], sha)

    def row(output: str, *cells: str) -> list[str]:
        """The one table row whose first cells are ``cells``."""
        rows = [[c.strip() for c in ln.strip("|").split("|")] for ln in output.splitlines()]
        [found] = [r for r in rows if r[: len(cells)] == list(cells)]
        return found

    before = runner.invoke(app, ["data", "list"])
    assert before.exit_code == 0, before.output
    assert row(before.output, "test-nb201")[2] == "no"
    assert row(before.output, "suite-zero")[2:4] == ["no", str(cache / "suite-zero")]

    fetched = runner.invoke(app, ["data", "fetch", "test-nb201", "--no-progress"])
    assert fetched.exit_code == 0, fetched.output
    assert f"sha256 {sha}" in fetched.output and "sha256 checked" in fetched.output
    after = runner.invoke(app, ["data", "list"])
    present, path, size, listed = row(after.output, "test-nb201")[2:]
    assert (present, path, listed) == ("yes", str(cache / "test-nb201"), sha)
    assert size == "4.2 MB"
    files = runner.invoke(app, ["data", "list", "--files"])
    assert row(files.output, "graf", "nb201_zc_proxies.csv")[2:5] == ["absent", "", "sha256"]
    assert row(files.output, "cifar10")[4] == "md5"  # CIFAR's publisher gives md5 only
    assert row(files.output, "test-nb201")[2:] == ["present", "4.2 MB", "sha256", sha]
    where = runner.invoke(app, ["data", "path", "graf"])
    assert where.output.strip() == str(cache / "graf")


def test_a_publisher_without_checksum_gets_the_first_downloads_sha256_recorded(
    server: _Server, cache: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _register(monkeypatch, [f"{server.url}/{NB201}"], None)
    result = runner.invoke(app, ["data", "fetch", "test-nb201", "--no-progress"])
    assert result.exit_code == 0, result.output
    sha = _sha256(shared_data / NB201)
    assert f"sha256 {sha}" in result.output
    assert "no published checksum: sha256 recorded" in result.output


def test_graf_fetches_whole_from_a_mirror_with_the_published_sha256(
    server: _Server, cache: Path, shared_data: Path
) -> None:
    # the registered graf source, every file checked against its pinned sha256; the
    # test server holds the subset in ../shared/data/graf, so only those are fetched
    graf = SOURCES["graf"]
    held = [f for f in graf.files if (shared_data / "graf" / f.name).is_file()]
    assert len(held) == 8  # the six CSVs and two licences of the shared copy
    subset = Source("graf", graf.description, tuple(held), graf.manual)
    done = fetch_source(subset, mirrors=[f"{server.url}/graf/"])
    assert {d.action for d in done} == {"fetched"}
    for d in done:
        assert d.path.read_bytes() == (shared_data / "graf" / d.name).read_bytes()
    assert fetched_dir("graf") is None  # the registered source has files the subset lacks


def _fetch_suite_zero(server: _Server) -> Path:
    fetch_source("suite-zero", mirrors=[f"{server.url}/suite_zero"])
    return data_home() / "suite-zero"


def test_loaders_find_fetched_suite_zero_without_flags_and_explicit_paths_win(
    server: _Server,
    cache: Path,
    shared_data: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from naspred.benchmarks import load_tasks, registry
    from naspred.benchmarks.suite_zero import fetched_suite_zero_dir, suite_zero_dir

    monkeypatch.setattr(
        registry, "embedded_tasks", lambda names=None: []
    )  # seconds to load; not under test
    assert fetched_suite_zero_dir() is None
    directory = _fetch_suite_zero(server)  # the registered source: every zc_<space>.json
    assert fetched_suite_zero_dir() == directory
    assert sorted(p.name for p in directory.glob("zc_*.json")) == sorted(
        p.name for p in (shared_data / "suite_zero").glob("zc_*.json")
    )
    # loading every file takes seconds: the same lookup over a release of the one NB101 file
    (directory / "zc_nasbench201.json").unlink()
    assert fetched_suite_zero_dir() is None  # no longer whole
    nb101 = next(f for f in SOURCES["suite-zero"].files if f.name == "zc_nasbench101.json")
    monkeypatch.setitem(
        SOURCES, "suite-zero", Source("suite-zero", "NB101 only", (nb101,), "by hand")
    )
    assert fetched_suite_zero_dir() == directory
    # no flag, no variable: the fetched copy answers names
    [task] = load_tasks(["nasbench101/cifar10"])
    assert Path(task.source) == directory / "zc_nasbench101.json" and len(task) == 500
    # an explicit directory wins over the cache
    other = tmp_path / "explicit"
    other.mkdir()
    (other / "zc_nasbench301.json").write_bytes(
        (shared_data / "suite_zero/zc_nasbench301.json").read_bytes()
    )
    assert suite_zero_dir(other) == other
    assert {t.name for t in load_tasks(suite_zero=other)} == {"nasbench301/cifar10"}
    with pytest.raises(Exception, match="no task matches 'nasbench101/cifar10'"):
        load_tasks(["nasbench101/cifar10"], suite_zero=other)
    monkeypatch.setenv("NASPRED_SUITE_ZERO_DIR", str(other))  # so does the variable
    assert [t.name for t in load_tasks(["nasbench301/*"])] == ["nasbench301/cifar10"]
    with pytest.raises(Exception, match="no task matches 'nasbench101/cifar10'"):
        load_tasks(["nasbench101/cifar10"])


def test_a_fetched_suite_zero_does_not_count_as_given(
    server: _Server, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rule the README states: with no names, the default set stays the embedded
    tasks (the main job and the committed tables do not depend on the cache)."""
    from naspred.benchmarks import load_tasks, registry
    from naspred.benchmarks.suite_zero import suite_zero_dir

    _fetch_suite_zero(server)
    assert suite_zero_dir() is None  # not a given directory
    monkeypatch.setattr(registry, "embedded_tasks", lambda names=None: ["the embedded tasks"])
    assert load_tasks() == ["the embedded tasks"]
    assert load_tasks(embedded=True) == ["the embedded tasks"]


def test_correlations_label_fetched_suite_zero_tasks_as_suite_zero(
    server: _Server, cache: Path
) -> None:
    from types import SimpleNamespace

    from naspred.cli.correlations import default_out

    directory = _fetch_suite_zero(server)
    # default_out reads where each task came from and its variant, nothing else
    sz = SimpleNamespace(source=str(directory / "zc_nasbench101.json"), variant="")
    lc = SimpleNamespace(source="naspred/data/learning_curves/nb201_cifar10.jsonl", variant="lc")
    out = Path("results/correlations")
    assert default_out(None, None, [sz]) == out / "suite_zero"
    assert default_out(None, None, [sz, lc]) == out / "all"
    assert default_out(None, None, [lc]) == out / "embedded"
    assert default_out(None, None) == out / "embedded"  # no tasks, no flag: as before


def test_the_suite_zero_error_names_naspred_data_fetch(tmp_path: Path) -> None:
    from naspred.benchmarks import load_suite_zero
    from naspred.errors import BenchmarkFileError

    with pytest.raises(BenchmarkFileError, match="naspred data fetch suite-zero"):
        load_suite_zero(tmp_path)


def _cifar_folder(root: Path, label: int, n: int) -> Path:
    """A CIFAR-10 folder in the python layout: ``n`` images per batch file, all ``label``."""
    import pickle

    import numpy as np

    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(label)
    for name in [*(f"data_batch_{i}" for i in range(1, 6)), "test_batch"]:
        data = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
        with (folder / name).open("wb") as fh:
            pickle.dump({b"data": data, b"labels": [label] * n}, fh)
    return folder


def test_a_fetched_cifar_archive_is_md5_checked_unpacked_and_found_without_a_root(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from naspred.data.images import BatchProvider, load_cifar

    with pytest.raises(DataUnavailableError, match="naspred data fetch cifar10"):
        load_cifar(None, "cifar10")
    # an archive in the official layout, served as the real one is (md5 only)
    served = tmp_path / "served"
    _cifar_folder(tmp_path / "made", label=3, n=4)
    served.mkdir()
    with tarfile.open(served / "cifar-10-python.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "made" / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    md5 = hashlib.md5((served / "cifar-10-python.tar.gz").read_bytes()).hexdigest()
    real = SOURCES["cifar10"].files[0]
    fake = RemoteFile(real.name, real.urls, md5=md5, unpack_to=real.unpack_to)
    monkeypatch.setitem(SOURCES, "cifar10", Source("cifar10", "test archive", (fake,), "by hand"))
    with _serving(served) as srv:
        [done] = fetch_source("cifar10", mirrors=[srv.url])
    assert done.action == "fetched" and done.published == "md5"
    assert (cache / "cifar10" / "cifar-10-batches-py" / "data_batch_5").is_file()
    assert not list((cache / "cifar10").glob(".unpack-*"))
    # the folder removed, the archive kept: not usable, and unpacked again without a download
    shutil.rmtree(cache / "cifar10" / "cifar-10-batches-py")
    assert [st.state for st in source_status("cifar10")] == ["partial"]
    [again] = fetch_source("cifar10")  # the server is gone: nothing is downloaded
    assert again.action == "unpacked" and again.state == "present"

    x, y = load_cifar(dataset="cifar10")  # no root: the fetched copy
    assert x.shape == (20, 3, 32, 32) and set(y.tolist()) == {3}
    provider = BatchProvider.from_source("cifar10", fallback=False)
    assert not provider.is_fallback and provider.source.endswith("(fetched)")
    # an explicit root wins: its images, not the cache's
    _cifar_folder(tmp_path / "elsewhere", label=9, n=2)
    assert set(load_cifar(tmp_path / "elsewhere", "cifar10")[1].tolist()) == {9}
    explicit = BatchProvider.from_source("cifar10", root=tmp_path / "elsewhere")
    assert set(explicit.labels.tolist()) == {9}


def test_python_m_naspred_data_list_runs_in_a_fresh_process(cache: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "naspred", "data", "list"],
        capture_output=True,
        text=True,
        env={"NASPRED_DATA": str(cache), "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == f"cache: {cache} (set $NASPRED_DATA to move it)"
    assert "| hw-nas-bench " in result.stdout
