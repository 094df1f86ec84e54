"""process-helpers rule: which words name su-exec/tini, and when they are renamed."""

from __future__ import annotations

import pytest

from rewriter.api import fix_text
from rewriter.rules.process_helpers import HELPERS, apk_packages, rename
from rewriter.rules.shellview import View, command_positions
from rewriter.settings import Settings


@pytest.mark.parametrize(
    ("words", "positions"),
    [
        (["su-exec", "app", "cmd"], [0, 2]),
        (["exec", "su-exec", "app:app", "python", "x"], [0, 1, 3]),
        (["/sbin/tini", "--", "su-exec", "app", "cmd"], [0, 2, 4]),
        (["tini", "-g", "--", "cmd"], [0, 3]),
        (["env", "A=1", "HOME=/x", "su-exec", "app", "cmd"], [0, 3, 5]),
        (["apk", "add", "su-exec"], [0]),
        (["which", "su-exec"], [0]),
        ([None, "su-exec"], [0]),
    ],
)
def test_command_positions(words: list[str | None], positions: list[int]) -> None:
    assert command_positions(words) == positions


@pytest.mark.parametrize(
    ("words", "renamed"),
    [
        (["su-exec", "app", "cmd"], {0: "gosu"}),
        (["/sbin/su-exec", "app", "cmd"], {0: "/usr/sbin/gosu"}),
        (["/sbin/tini", "--", "su-exec", "app", "cmd"], {0: "/usr/bin/tini", 2: "gosu"}),
        (["chmod", "+x", "/sbin/tini"], {2: "/usr/bin/tini"}),  # an Alpine path is renamed anywhere
        (["apk", "add", "su-exec", "tini"], {}),  # package names are apk-to-apt's
        (["echo", "su-exec"], {}),
        (["/usr/bin/dumb-init", "--", "cmd"], {}),  # same path on Debian
        (["tini", "--", "cmd"], {}),  # found on PATH on both
    ],
)
def test_rename(words: list[str], renamed: dict[int, str]) -> None:
    assert {i: new for i, (new, _) in rename(words, HELPERS).items()} == renamed


def test_apk_packages() -> None:
    text = "apk add --no-cache --virtual .x su-exec=0.2-r3 tini && apk del gcc && echo su-exec"
    found = apk_packages(View(text, lambda i: i))
    assert [name for _, name in found] == ["su-exec", "tini"]  # the virtual name .x is no package
    assert found[0][0] == text.index("su-exec")


def _fix(text: str):
    return fix_text(text, settings=Settings(select=frozenset({"process-helpers"})))


def test_only_where_the_alpine_package_provided_it() -> None:
    built = "FROM python:3.12-alpine\nADD https://example.org/tini /sbin/tini\nENTRYPOINT [\"/sbin/tini\", \"--\"]\n"
    assert _fix(built).new == built
    installed = "FROM python:3.12-alpine\nRUN apk add tini\nENTRYPOINT [\"/sbin/tini\", \"--\"]\n"
    assert _fix(installed).new == installed.replace('"/sbin/tini"', '"/usr/bin/tini"')


def test_child_stage_inherits_the_install() -> None:
    text = "FROM python:3.12-alpine AS base\nRUN apk add su-exec\nFROM base\nCMD su-exec app python\n"
    assert _fix(text).new == text.replace("CMD su-exec", "CMD gosu")


def test_sibling_stage_does_not() -> None:
    text = "FROM python:3.12-alpine AS a\nRUN apk add su-exec\nCMD su-exec app x\nFROM python:3.12-alpine\nCMD su-exec app y\n"
    assert _fix(text).new == text.replace("CMD su-exec app x", "CMD gosu app x")


@pytest.mark.parametrize(
    "call",
    ['ENTRYPOINT ["tini", "--"]', 'ENTRYPOINT ["/usr/bin/tini", "--", "python"]', "CMD tini -- python", 'RUN tini --version'],
)
def test_a_helper_called_under_its_debian_name_is_not_reported_as_unused(call: str) -> None:
    result = _fix(f"FROM python:3.12-alpine\nRUN apk add --no-cache tini\n{call}\n")
    assert not [f for f in result.findings if "never called" in f.message]


def test_installing_a_helper_is_not_calling_it() -> None:
    result = _fix("FROM python:3.12-alpine\nRUN apk add --no-cache tini\nRUN apk add --no-cache curl\n")
    assert [f.line for f in result.findings if "tini is installed but never called" in f.message] == [2]
