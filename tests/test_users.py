"""users rule: BusyBox adduser/addgroup/deluser/delgroup flags and their Debian equivalents.

Expected outputs are written from BusyBox's loginutils sources (see the module docstring),
not from running the rule.
"""

from __future__ import annotations

import pytest

from rewriter.api import fix_text
from rewriter.edits import Fix, apply_fixes
from rewriter.rules import users
from rewriter.settings import Settings


def _translated(text: str) -> str:
    result = users.translate_shell(text)
    return apply_fixes(text, [Fix(group) for group in result.edits])[0]


def _problems(text: str) -> list[str]:
    return [message for _, message, _ in users.translate_shell(text).findings]


@pytest.mark.parametrize(
    ("busybox", "debian"),
    [
        # without -H BusyBox creates the home; -D (no password) is useradd's default
        ("adduser -D app", "useradd -m app"),
        ("adduser -D -H app", "useradd -M app"),
        ("adduser -DH app", "useradd -M app"),
        # -h home, -g GECOS (not a group!), -G primary group, -u uid
        ("adduser -D -h /srv/app -g 'App User' -G web -u 1000 app", "useradd -m -d /srv/app -c 'App User' -g web -u 1000 app"),
        # -S: system account, implies -D, primary group nogroup and shell /bin/false unless given
        ("adduser -S app", "useradd -m -r -g nogroup -s /bin/false app"),
        ("adduser -S -G app app", "useradd -m -r -s /bin/false -g app app"),
        ("adduser -S -s /bin/bash -G app app", "useradd -m -r -s /bin/bash -g app app"),
        ("adduser -SDH -G app app", "useradd -r -s /bin/false -M -g app app"),
        # options after the name are still options (getopt_long permutes)
        ("adduser -S appuser -G appgroup", "useradd -m -r -s /bin/false appuser -g appgroup"),
        # shells Debian has elsewhere or not at all
        ("adduser -D -s /bin/ash app", "useradd -m -s /bin/sh app"),
        ("adduser -D -s /sbin/nologin app", "useradd -m -s /usr/sbin/nologin app"),
        # attached arguments
        ("adduser -D -u1000 -h/app app", "useradd -m -u 1000 -d /app app"),
        ("adduser -D -u$UID app", "useradd -m -u $UID app"),
        # -k: kept with a created home, dropped with -H (useradd allows -k only with -m)
        ("adduser -D -k /etc/skel2 app", "useradd -m -k /etc/skel2 app"),
        ("adduser -D -H -k /etc/skel2 app", "useradd -M app"),
        # long options
        ("adduser --disabled-password --gecos '' app", "useradd -m -c '' app"),
        ("adduser --empty-password --gecos= app", "useradd -m -c '' app"),
        ("adduser --system --shell /bin/bash --ingroup docker --home=/home/dev --no-create-home dev", "useradd -r -s /bin/bash -g docker -d /home/dev -M dev"),
        ("adduser -D --uid 42 --skel /s app", "useradd -m -u 42 -k /s app"),
        # two operands and no option: add an existing user to a group
        ("adduser app docker", "usermod -aG docker app"),
        ("addgroup app docker", "usermod -aG docker app"),
        ("addgroup -S app docker", "usermod -aG docker app"),
        # groups
        ("addgroup app", "groupadd app"),
        ("addgroup -S app", "groupadd -r app"),
        ("addgroup -S -g 1000 app", "groupadd -r -g 1000 app"),
        ("addgroup app -g 1000", "groupadd app -g 1000"),
        ("addgroup -Sg1000 app", "groupadd -r -g 1000 app"),
        ("addgroup --system --gid 7 app", "groupadd -r -g 7 app"),
        # removal
        ("deluser app", "userdel app"),
        ("deluser --remove-home app", "userdel -r app"),
        ("delgroup app", "groupdel app"),
        ("delgroup app docker", "gpasswd -d app docker"),
        # paths and variables
        ("/usr/sbin/adduser -D app", "/usr/sbin/useradd -m app"),
        ('adduser -D -G "$GROUP" -h $HOME $USER', 'useradd -m -g "$GROUP" -d $HOME $USER'),
        # only the user commands change
        ("mkdir /data && adduser -D app && chown app /data", "mkdir /data && useradd -m app && chown app /data"),
        ("if [ -n \"$U\" ]; then adduser -D \"$U\"; fi", "if [ -n \"$U\" ]; then useradd -m \"$U\"; fi"),
    ],
)
def test_translation(busybox: str, debian: str) -> None:
    assert _translated(busybox) == debian
    assert _problems(busybox) == [] or all("counts system" in p for p in _problems(busybox))


def test_deleted_option_takes_its_line_break_but_not_a_comment() -> None:
    assert _translated("adduser \\\n    -D \\\n    app") == "useradd -m \\\n    app"
    # a comment line inside a Dockerfile continuation is not part of the command: it stays
    result = fix_text(_dockerfile("RUN adduser \\\n# why\n    -D \\\n    -H app\n"), settings=Settings(select=frozenset({"users"})))
    assert result.new == _dockerfile("RUN useradd \\\n# why\n     \\\n    -M app\n")


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("adduser app", "adduser without -D runs passwd"),
        ("adduser -D -x app", "option `-x` is not a BusyBox adduser option"),
        ("adduser -D --badname app", "option `--badname` is not a BusyBox adduser option"),
        ("adduser -D$X app", "option `-D$X` is built at run time"),
        ("adduser $FLAGS app", "argument `$FLAGS` is built at run time"),
        ("adduser -D app docker", "adduser with options and a GROUP operand"),
        ("adduser -D a b c", "adduser with 3 names"),
        ("adduser -D", "adduser without a name"),
        ("adduser -D -u", "has no argument"),
        ("addgroup -g 5 app docker", "addgroup -g with USER GROUP"),
        ("deluser app docker", "deluser with 2 names"),
        ("deluser -r app", "option `-r` is not a BusyBox deluser option"),
        ("adduser --system=yes app", "takes no value"),
    ],
)
def test_refusals_leave_the_command_alone(command: str, message: str) -> None:
    assert _translated(command) == command
    problems = _problems(command)
    assert len(problems) == 1 and message in problems[0]


def test_system_accounts_note_the_id_ranges() -> None:
    assert any("down from 999" in p for p in _problems("adduser -S app"))
    assert _problems("adduser -S -u 100 app") == []
    assert any("down from 999" in p for p in _problems("addgroup -S app"))
    assert _problems("addgroup -S -g 101 app") == []


def test_not_busybox_commands() -> None:
    for text in ("useradd -m app", "busybox adduser -D app", "echo adduser -D app", "apk add --no-cache shadow"):
        assert _translated(text) == text


def _dockerfile(body: str) -> str:
    return "FROM python:3.12-alpine\n" + body


def test_existing_home_is_reported() -> None:
    result = fix_text(_dockerfile("WORKDIR /app/\nRUN adduser -D -h /app app\n"), settings=Settings(select=frozenset({"users"})))
    assert "RUN useradd -m -d /app app" in result.new
    assert [f.line for f in result.findings if "exists before" in f.message] == [3]
    fresh = fix_text(_dockerfile("RUN adduser -D -h /app app\nWORKDIR /app\n"), settings=Settings(select=frozenset({"users"})))
    assert fresh.findings == []


def test_unmigrated_stage_is_left_alone() -> None:
    text = "FROM alpine:3.20\nRUN adduser -D app\n"
    assert fix_text(text).new == text


def test_same_run_as_apk_never_overlaps() -> None:
    text = _dockerfile("RUN apk add --no-cache shadow su-exec && adduser -D app && addgroup app audio\n")
    result = fix_text(text)
    assert not [f for f in result.findings if f.rule == "internal"]
    assert "&& useradd -m app && usermod -aG audio app\n" in result.new
    assert "apt-get install -y --no-install-recommends gosu" in result.new
