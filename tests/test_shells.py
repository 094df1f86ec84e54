"""shells rule: Bash-isms BusyBox ash accepted and dash rejects; shell flags dash takes."""

from __future__ import annotations

import pytest

from rewriter.api import fix_text
from rewriter.rules.shells import bashisms, dash_rejects
from rewriter.settings import Settings


def _kinds(text: str, codename: str | None = "bookworm") -> list[str]:
    return [kind for _, kind in bashisms(text, codename)]


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("[[ -f x ]] && echo y", ["[["]),
        ('if [ "$a" == b ]; then :; fi', ["=="]),
        ('test "$a" == b', ["=="]),
        ("source venv/bin/activate", ["source"]),
        ("function f { echo; }; f", ["function"]),
        ("function f() ( echo )", ["function"]),
        ("diff <(ls a) <(ls b)", ["procsub"]),
        ('echo "${v//-/_}"', ["subst"]),
        ("echo ${v:1:2} ${v: -1}", ["substr"]),
        ("printf $'a\\tb'", ["ansi"]),
        ("pip install x &> /dev/null", ["&>"]),
        ('echo -e "a\\nb"', ["echo -e"]),
        ("echo -ne x", ["echo -e"]),
        ("let i=i+1", ["let"]),
        ("set -eo pipefail", ["pipefail"]),
        ("set -o pipefail", ["pipefail"]),
        ("X=${v/a/b} env", ["subst"]),
        # each kind once, in order of first use
        ("[[ a ]] && source x && [[ b ]]", ["[[", "source"]),
    ],
)
def test_bashisms_found(text: str, kinds: list[str]) -> None:
    assert _kinds(text) == kinds


@pytest.mark.parametrize(
    "text",
    [
        '[ "$a" = b ] && . ./env',
        'echo "${v:-default}" "${v:=x}" "${v:+y}" "${v:?z}" "${#v}" "${v%.*}" "${v#*/}"',
        "echo '[[ quoted ]]' '${v//a/b}' '$(ls)' \"it's\"",
        'echo "function f {"',
        "# function f {\necho ok",
        "cmd > /dev/null 2>&1 &",
        "echo -n x; echo \"-e\"x",
        "set -eux",
        "cat <<EOF\nfunction f {\n[[ x ]]\nEOF",
        "f() { echo; }; f",
    ],
)
def test_posix_text_is_clean(text: str) -> None:
    assert _kinds(text) == []


def test_pipefail_is_fine_on_trixie_dash() -> None:
    assert _kinds("set -o pipefail", "trixie") == []
    assert _kinds("set -o pipefail", "bullseye") == ["pipefail"]


def test_offsets_point_at_the_construct() -> None:
    text = "echo ok && source x"
    assert bashisms(text, None) == [(text.index("source"), "source")]


@pytest.mark.parametrize(
    ("flags", "codename", "rejected"),
    [
        (["-c"], "bookworm", None),
        (["-e", "-c"], "bookworm", None),
        (["-eux", "-c"], "bookworm", None),
        (["-eo", "pipefail", "-c"], "bookworm", "-o pipefail"),
        (["-o", "pipefail", "-c"], "bullseye", "-o pipefail"),
        (["-opipefail", "-c"], "bookworm", "-o pipefail"),
        (["-eo", "pipefail", "-c"], "trixie", None),
        (["-o", "errexit", "-c"], "bookworm", None),
        (["-o", "posix", "-c"], "trixie", "-o posix"),
        (["--login", "-c"], "trixie", "--login"),
        (["-O", "extglob", "-c"], "trixie", "-O"),
    ],
)
def test_dash_flags(flags: list[str], codename: str, rejected: str | None) -> None:
    assert dash_rejects(flags, codename) == rejected


def _fix(text: str, codename: str = "bookworm"):
    return fix_text(text, settings=Settings(codename=codename, select=frozenset({"shells"})))


def test_explicit_sh_shell_becomes_bash_only_when_needed() -> None:
    keep = 'FROM python:3.12-alpine\nSHELL ["/bin/sh", "-c"]\nRUN echo ok\n'
    assert _fix(keep).new == keep
    needs = 'FROM python:3.12-alpine\nSHELL ["/bin/sh", "-c"]\nRUN source x\n'
    assert _fix(needs).new == needs.replace('"/bin/sh"', '"/bin/bash"')
    assert [f.line for f in _fix(needs).findings] == [2]  # the choice is explained, the RUN not reported


def test_child_stage_runs_under_the_inherited_shell() -> None:
    text = 'FROM python:3.12-alpine AS base\nSHELL ["/bin/ash", "-c"]\nFROM base\nRUN [[ -f x ]]\n'
    assert _fix(text).new == text.replace('"/bin/ash"', '"/bin/bash"')


def test_default_shell_bashisms_are_reported_not_changed() -> None:
    text = "FROM python:3.12-alpine\nRUN source x\n"
    result = _fix(text)
    assert result.new == text
    assert [(f.line, f.severity.value) for f in result.findings] == [(2, "warning")]


def test_unmigrated_stage_is_left_alone() -> None:
    text = 'FROM alpine:3.20\nSHELL ["/bin/ash", "-c"]\nRUN source x\n'
    result = _fix(text)
    assert result.new == text and result.findings == []
