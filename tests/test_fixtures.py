"""Every case under tests/fixtures: exact output, exact findings, idempotency, byte preservation.

A case is a folder with ``input.<ext>``, optionally ``expected.<ext>`` (absent: the
file must stay unchanged), ``warnings.txt`` (``LINE: RULE: MESSAGE`` per finding,
absent: no findings), ``args.txt`` (command-line options, e.g. ``--codename trixie``)
and ``kind.txt`` (the file kind, e.g. ``compose``; absent: ``dockerfile``).
"""

from __future__ import annotations

import difflib
import shlex
from pathlib import Path

import pytest

from rewriter import dockerfile
from rewriter.api import fix_text
from rewriter.cli import main, settings_from_options
from rewriter.files import COMPOSE, DOCKERFILE, GITHUB_ACTIONS, GITLAB_CI

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted(p for p in FIXTURES.iterdir() if p.is_dir())


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def _settings(case: Path):
    args = shlex.split(_read(case / "args.txt")) if (case / "args.txt").exists() else []
    ctx = main.make_context("dockerfix", [*args, "placeholder"])
    p = ctx.params
    return settings_from_options(
        p["codename"], p["package_map"], p["select"], p["ignore"], p["migrate_copy_targets"],
        prune_build_deps=p["prune_build_deps"], offline=p["offline"],
    )  # fmt: skip


@pytest.fixture(autouse=True)
def _recorded_pypi(monkeypatch: pytest.MonkeyPatch) -> None:
    """--prune-build-deps cases read PyPI's answers from tests/data/pypi (args.txt adds --offline)."""
    monkeypatch.setenv("DOCKERFIX_PYPI_CACHE", str(Path(__file__).parent / "data" / "pypi"))


def _kind(path: Path) -> str:
    kind_file = path.parent / "kind.txt"
    return _read(kind_file).strip() if kind_file.exists() else DOCKERFILE


def _input(case: Path) -> Path:
    (found,) = case.glob("input.*")
    return found


def _expected(case: Path) -> str:
    inp = _input(case)
    expected = case / ("expected" + inp.suffix)
    return _read(expected) if expected.exists() else _read(inp)


def _lines(text: str) -> list[str]:
    return text.split("\n")


def _instruction_lines(text: str) -> dict[int, tuple[int, int]]:
    """0-based line -> (first, last) line of the instruction covering it."""
    owner = {}
    for ins in dockerfile.parse(text).instructions:
        for line in range(ins.line - 1, ins.end_line):
            owner[line] = (ins.line - 1, ins.end_line - 1)
    return owner


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fixture(case: Path) -> None:
    source = _read(_input(case))
    settings = _settings(case)
    result = fix_text(source, _kind(_input(case)), settings)
    assert result.error is None, result.error
    assert result.new == _expected(case)
    got = [f"{f.line}: {f.rule}: {f.message}" for f in result.findings]
    want_file = case / "warnings.txt"
    want = [l for l in _read(want_file).splitlines() if l.strip()] if want_file.exists() else []
    assert got == want


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fixture_is_idempotent(case: Path) -> None:
    expected = _expected(case)
    again = fix_text(expected, _kind(_input(case)), _settings(case))
    assert again.error is None
    assert again.new == expected


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fixture_preserves_bytes_outside_edited_instructions(case: Path) -> None:
    """Only lines of instructions may differ (and Renovate annotations, which the renovate rule
    rewrites); other comments, blank lines and line endings survive."""
    source = _read(_input(case))
    expected = _expected(case)
    if _kind(_input(case)) in (COMPOSE, GITLAB_CI, GITHUB_ACTIONS):
        _check_yaml_edits_inside_scalars(source, expected)
        return
    if _kind(_input(case)) != DOCKERFILE:
        _check_edited_lines_name_alpine(source, expected)
        return
    owner = _instruction_lines(source)
    old, new = _lines(source), _lines(expected)
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, _j1, _j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        for line in range(i1, i2):
            renovate = old[line].lstrip().startswith("# renovate:")
            assert line in owner or renovate, f"line {line + 1} outside any instruction changed: {old[line]!r}"
        if tag == "insert":
            assert i1 - 1 in owner or i1 in owner, f"text inserted outside an instruction at line {i1 + 1}"
    # an edited file keeps its newline style and the presence of a final newline
    assert ("\r\n" in source) == ("\r\n" in expected)
    assert source.endswith("\n") == expected.endswith("\n")


def _check_yaml_edits_inside_scalars(source: str, expected: str) -> None:
    """YAML: only lines of scalars that name an Alpine image or run apk may differ."""
    from rewriter import yamlspans

    lines = yamlspans.LineIndex(source)
    allowed: set[int] = set()
    for root in yamlspans.parse(source):
        for node in yamlspans.walk(root):
            if isinstance(node, yamlspans.Scalar) and ("alpine" in node.value or "apk" in node.value):
                allowed.update(range(node.line - 1, lines.line_of(max(node.end - 1, node.start))))
    matcher = difflib.SequenceMatcher(a=_lines(source), b=_lines(expected), autojunk=False)
    for tag, i1, i2, _j1, _j2 in matcher.get_opcodes():
        if tag == "insert":
            assert i1 - 1 in allowed or i1 in allowed, f"text inserted outside the edited scalars at line {i1 + 1}"
        elif tag != "equal":
            assert all(line in allowed for line in range(i1, i2)), f"line {i1 + 1} outside the edited scalars changed"
    assert ("\r\n" in source) == ("\r\n" in expected)
    assert source.endswith("\n") == expected.endswith("\n")


def _check_edited_lines_name_alpine(source: str, expected: str) -> None:
    """Outside Dockerfiles dockerfix only edits image references and apk commands."""
    old, new = _lines(source), _lines(expected)
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, _j1, _j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        for line in old[i1:i2]:
            assert "alpine" in line or "apk" in line, f"unrelated line changed: {line!r}"
    assert ("\r\n" in source) == ("\r\n" in expected)
    assert source.endswith("\n") == expected.endswith("\n")
