"""Many files: worker processes give the same output as one process, the progress bar shows only on a
terminal, a bounded number of results is in flight, and a one-file run starts without the heavy parsers."""

from __future__ import annotations

import importlib.util
import os
import select
import shutil
import subprocess
import sys
from pathlib import Path
from types import MappingProxyType

import pytest

from rewriter import parallel
from rewriter.cli import process_target
from rewriter.files import Scope, Selection, find_targets
from rewriter.settings import Settings

ROOT = Path(__file__).parent.parent
_spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "bench" / "generate.py")
bench_generate = importlib.util.module_from_spec(_spec)
sys.modules["bench_generate"] = bench_generate  # dataclasses look their module up
_spec.loader.exec_module(bench_generate)

# A Compose file that builds a Dockerfile under a name discovery does not take, with a build arg that
# picks another python Alpine image than the Dockerfile's ARG default: its note reads that Dockerfile.
LINKED = {
    "linked/docker-compose.yml": "services:\n  api:\n    build:\n      context: .\n      dockerfile: build/Dockerfile-api\n      args:\n        PY: '3.12'\n",
    "linked/build/Dockerfile-api": "ARG PY=3.11\nFROM python:${PY}-alpine\nRUN apk add --no-cache gcc musl-dev\n",
    "linked/Dockerfile": "ARG PY=3.11\nFROM python:${PY}-alpine\nRUN apk add --no-cache libpq\n",
    "broken/Dockerfile": "FROM python:3.11-alpine\n\udcff\n",
}
ARG_NOTE = "build arg PY=3.12 selects python:3.12-alpine instead of the default python:3.11-alpine"


def tree(root: Path, count: int) -> Path:
    """``count`` generated files (see bench/generate.py), plus LINKED."""
    bench_generate.generate(str(root), count)
    for name, text in LINKED.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8", "surrogateescape"))
    return root


def dockerfix(*args: str, cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rewriter", *args], cwd=cwd, capture_output=True, timeout=300,
        env={**os.environ, "NO_COLOR": "1"}, **kwargs,
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    return tree(tmp_path_factory.mktemp("scale") / "tree", 300)


@pytest.mark.parametrize("args", [["--diff"], ["--check", "--format", "json"], ["--check", "-q"]], ids=" ".join)
def test_worker_processes_print_the_same_bytes_as_one_process(files: Path, args: list[str]) -> None:
    one = dockerfix(*args, "--jobs", "1", "tree", cwd=files.parent)
    two = dockerfix(*args, "--jobs", "2", "tree", cwd=files.parent)
    assert one.returncode == two.returncode == 123  # broken/Dockerfile
    assert one.stdout == two.stdout
    assert one.stderr == two.stderr
    assert (one.stdout + one.stderr).count(b"\n") > 40  # many files were reported on


def test_worker_processes_follow_compose_links(files: Path) -> None:
    done = dockerfix("--diff", "--jobs", "2", "tree", cwd=files.parent)
    assert b"+++ b/tree/linked/build/Dockerfile-api" in done.stdout  # only the Compose file names it
    assert ARG_NOTE.encode() in done.stderr


def test_write_with_worker_processes_writes_what_one_process_writes(tmp_path: Path, files: Path) -> None:
    runs = {}
    for jobs in ("1", "2"):
        shutil.copytree(files, tmp_path / jobs / "tree")
        runs[jobs] = dockerfix("--write", "--jobs", jobs, "tree", cwd=tmp_path / jobs)
    assert runs["1"].returncode == runs["2"].returncode == 123
    assert runs["1"].stderr == runs["2"].stderr
    assert ARG_NOTE.encode() in runs["2"].stderr  # links were found before the Dockerfile was rewritten
    written = {p.relative_to(tmp_path / "1"): p.read_bytes() for p in (tmp_path / "1").rglob("*") if p.is_file()}
    assert written == {p.relative_to(tmp_path / "2"): p.read_bytes() for p in (tmp_path / "2").rglob("*") if p.is_file()}
    assert b"slim" in written[Path("tree/linked/build/Dockerfile-api")]


def test_spawned_workers_give_the_same_reports(files: Path) -> None:
    """Where fork is not the start method (macOS, Windows), the workers import everything themselves."""
    paths = [str(files / "org-00" / "repo-0000"), str(files / "linked")]
    targets, _ = find_targets(paths)
    scope = Scope.of(paths, Selection())
    settings = Settings(package_overrides=MappingProxyType({"gcc": "gcc-12"}))  # as the command line makes them
    expected = [process_target(t, "diff", settings, True, False, scope) for t in targets]
    assert any(linked for _, _, linked in expected)
    got: list = []
    with parallel.Workers(2, "diff", settings, True, False, scope, start_method="spawn") as workers:
        workers.each(parallel.process, targets, got.append)
    assert got == expected


def test_a_bounded_number_of_items_is_in_flight() -> None:
    """Memory holds a few chunks per worker, not every result: the results come out in order as they go in."""
    items = list(range(-2000, 2000))
    out: list[int] = []
    most = 0
    with parallel.Workers(2, "check", Settings(), False, False, None) as workers:
        submitted = 0
        submit = workers.pool.submit

        def counting_submit(apply, function, chunk):
            nonlocal submitted
            submitted += len(chunk)
            return submit(apply, function, chunk)

        def emit(result: int) -> None:
            nonlocal most
            out.append(result)
            most = max(most, submitted - len(out))

        workers.pool.submit = counting_submit
        workers.each(abs, items, emit)
    assert out == [abs(i) for i in items]
    assert most <= 2 * parallel.CHUNKS_PER_WORKER * parallel.CHUNK_MAX


# --- the progress bar ----------------------------------------------------------------------------------


def test_no_progress_bar_when_standard_error_is_not_a_terminal(files: Path) -> None:
    done = dockerfix("--check", "-q", "--jobs", "2", "tree", cwd=files.parent)
    assert b"\r" not in done.stderr


def _stderr_on_a_terminal(cwd: Path, *args: str) -> bytes:
    controller, terminal = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "rewriter", *args], cwd=cwd, stdout=subprocess.DEVNULL, stderr=terminal,
        env={**os.environ, "NO_COLOR": "1"},
    )
    os.close(terminal)
    seen = b""
    while True:  # read as it comes: a full terminal buffer would stop the run
        ready, _, _ = select.select([controller], [], [], 120)
        assert ready, "no output for two minutes"
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: the run has ended and closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    os.close(controller)
    process.wait(timeout=60)
    return seen


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_progress_bar_on_a_terminal(files: Path, jobs: str) -> None:
    shown = _stderr_on_a_terminal(files.parent, "--check", "-q", "--jobs", jobs, "tree")
    total = len(find_targets([str(files)])[0]) + 1  # with the Dockerfile only the Compose file names
    assert f"] {total}/{total} files".encode() in shown
    assert b"\r\x1b[Kdockerfix: " in shown  # the bar is cleared before the summary


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_no_progress_bar_when_asked_or_for_few_files(files: Path) -> None:
    assert b"files\r" not in _stderr_on_a_terminal(files.parent, "--check", "-q", "--no-progress", "tree")
    assert b" files" not in _stderr_on_a_terminal(files.parent, "--check", "-q", "tree/org-00/repo-0000")


# --- start-up ---------------------------------------------------------------------------------------

MODULES = """
import runpy, sys
sys.argv = ["dockerfix", "--check", sys.argv[1]]
try:
    runpy.run_module("rewriter", run_name="__main__")
except SystemExit:
    pass
print(" ".join(sorted(sys.modules)))
"""


def _modules_after_a_run(path: Path) -> set[str]:
    done = subprocess.run([sys.executable, "-c", MODULES, str(path)], capture_output=True, text=True, timeout=60)
    return set(done.stdout.split())


def test_a_dockerfile_run_imports_no_heavy_parser(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(LINKED["linked/build/Dockerfile-api"])
    modules = _modules_after_a_run(tmp_path / "Dockerfile")
    assert "rewriter.api" in modules  # the run did happen
    heavy = {m for m in modules if m.split(".")[0] in ("libcst", "ruamel", "jsonschema") or m == "rewriter.parallel"}
    assert not heavy


def test_a_compose_run_imports_ruamel(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text("services:\n  api:\n    image: python:3.11-alpine\n")
    assert "ruamel.yaml" in _modules_after_a_run(tmp_path / "docker-compose.yml")
