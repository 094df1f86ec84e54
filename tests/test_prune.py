"""--prune-build-deps: which packages are build-only, and when nothing may be left out.

The whole-file behaviour is in the fixtures prune-build-deps-*; these tests cover the decisions
and the reasons given when nothing is pruned (PyPI answers from tests/data/pypi, offline).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rewriter import prune
from rewriter.api import fix_text
from rewriter.settings import Settings

RECORDED = Path(__file__).parent / "data" / "pypi"


@pytest.fixture(autouse=True)
def _recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKERFIX_PYPI_CACHE", str(RECORDED))


def test_build_only_packages() -> None:
    assert prune.build_only_reason("gcc") == "C compiler"
    assert prune.build_only_reason("libpq-dev") == "headers for compiling against a library"
    assert prune.build_only_reason("linux-libc-dev") == "headers for compiling against a library"
    assert prune.build_only_reason("gcc-12") == "C compiler"
    assert prune.build_only_reason("cargo") == "Rust toolchain"
    for runtime in ("libpq5", "libffi8", "git", "curl", "tzdata"):
        assert prune.build_only_reason(runtime) is None


def test_build_tool_calls() -> None:
    assert prune.build_tool_call(["make", "-C", "src"]) == "make"
    assert prune.build_tool_call(["/usr/bin/gcc", "-o", "x", "x.c"]) == "gcc"
    assert prune.build_tool_call(["./configure", "--prefix=/usr"]) == "configure"
    assert prune.build_tool_call(["python3", "setup.py", "install"]) == "python3 setup.py"
    assert prune.build_tool_call(["pip", "install", "six"]) is None
    assert prune.build_tool_call([None, "x"]) is None


def test_decide() -> None:
    candidates = {"gcc": "C compiler"}
    plan = prune.decide(candidates, [], 2, "python:3.12-slim-trixie", 3)
    assert plan.left_out == {"gcc": "C compiler, not needed: all 2 Python requirements of this stage install from wheels on python:3.12-slim-trixie"}
    kept = prune.decide(candidates, ["why", "and", "more"], 2, "img", 3)
    assert kept.left_out == {}
    assert [(f.line, f.message) for f in kept.findings] == [(3, "--prune-build-deps: gcc kept: why (and 2 more reasons)")]
    assert prune.decide({}, ["why"], 0, "img", 3) == prune.PrunePlan()


def findings(text: str, **settings) -> list[str]:
    result = fix_text(text, "dockerfile", Settings(prune_build_deps=True, offline=True, **settings))
    return [f"{f.line}: {f.message}" for f in result.findings if "prune-build-deps" in f.message]


def test_without_requirements_nothing_is_pruned() -> None:
    assert findings("FROM python:3.12-alpine\nRUN apk add --no-cache gcc musl-dev\nRUN gcc -v\n") == [
        "2: --prune-build-deps: gcc libc6-dev kept: line 3: `gcc` still needs the build tools"
    ]
    assert findings("FROM python:3.12-alpine\nRUN apk add --no-cache gcc\n") == [
        "2: --prune-build-deps: gcc kept: no Python requirement found in this stage: the build tools may serve something else"
    ]


def test_a_requirement_not_in_the_cache_keeps_everything() -> None:
    assert findings("FROM python:3.12-alpine\nRUN apk add --no-cache gcc && pip install not-recorded\n") == [
        "2: --prune-build-deps: gcc kept: not-recorded: offline and not in the cache "
        f"({RECORDED / 'not-recorded.json'})"
    ]


def test_a_requirements_file_without_a_build_context_keeps_everything() -> None:
    assert findings("FROM python:3.12-alpine\nCOPY requirements.txt .\nRUN apk add gcc && pip install -r requirements.txt\n") == [
        "3: --prune-build-deps: gcc kept: line 3: requirements file requirements.txt: the build context is not known"
    ]


def test_a_requirements_file_in_the_build_context(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("six==1.16.0\n")
    text = "FROM python:3.12-alpine\nCOPY requirements.txt .\nRUN apk add gcc && pip install -r requirements.txt\n"
    result = fix_text(text, "dockerfile", Settings(prune_build_deps=True, offline=True, build_context=str(tmp_path)))
    assert result.new.splitlines()[2] == "RUN pip install -r requirements.txt"


def test_a_package_list_built_at_run_time_keeps_everything() -> None:
    assert findings('FROM python:3.12-alpine\nARG EXTRA\nRUN apk add gcc $EXTRA && pip install six\n') == [
        "3: --prune-build-deps: gcc kept: line 3: apk add with a package list built at run time"
    ]


def test_a_local_project_keeps_everything() -> None:
    assert findings("FROM python:3.12-alpine\nCOPY . /app\nRUN apk add gcc && pip install /app\n")[0].startswith(
        "3: --prune-build-deps: gcc kept: line 3: local project /app:"
    )


def test_runtime_libraries_stay() -> None:
    result = fix_text("FROM python:3.12-alpine\nRUN apk add --no-cache libffi libffi-dev && pip install six\n", "dockerfile", Settings(prune_build_deps=True, offline=True))
    assert "install -y --no-install-recommends libffi8 &&" in result.new


def test_off_by_default() -> None:
    result = fix_text("FROM python:3.12-alpine\nRUN apk add gcc && pip install six\n", "dockerfile", Settings(offline=True))
    assert "gcc" in result.new


def test_the_command_reads_requirements_beside_the_dockerfile(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from rewriter.cli import main

    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.12-alpine\nCOPY requirements.txt .\nRUN apk add --no-cache gcc musl-dev && pip install -r requirements.txt\n"
    )
    (tmp_path / "requirements.txt").write_text("six==1.16.0\ncffi==1.17.1\n")
    result = CliRunner().invoke(main, ["--prune-build-deps", "--offline", str(tmp_path / "Dockerfile")])
    assert "+RUN pip install -r requirements.txt\n" in result.output
    assert "gcc: left out (--prune-build-deps), C compiler, not needed: all 3 Python requirements" in result.output
