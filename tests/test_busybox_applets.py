"""Which commands an instruction calls, and the BusyBox applet table."""

from __future__ import annotations

from importlib import resources

import pytest

from rewriter import dockerfile
from rewriter.packages import tomllib
from rewriter.rules.busybox_applets import applets
from rewriter.rules.commands import calls, substitutions


def _calls(text: str) -> list[list[str]]:
    df = dockerfile.parse(text)
    return [[c.name for c in calls(df, ins)] for ins in df.instructions[1:]]


def test_calls_in_every_kind_of_instruction() -> None:
    text = (
        "FROM x\n"
        "RUN GW=\"$(/sbin/ip route | awk 1)\" && command -v less && env A=1 timeout 5 ping -c1 h\n"
        "RUN echo '$(vi)' `xxd -l 1 f`\n"
        "HEALTHCHECK --interval=5s \\\n  CMD wget -q -O- http://localhost || exit 1\n"
        "HEALTHCHECK CMD [\"/usr/bin/nc\", \"-z\", \"localhost\", \"80\"]\n"
        "HEALTHCHECK NONE\n"
        "CMD [\"sh\", \"-ec\", \"ps aux; exec gunicorn app\"]\n"
        "ENTRYPOINT [\"time\", \"python\", \"x.py\"]\n"
        "RUN <<EOF\nunzip a.zip\nEOF\n"
        "COPY a b\n"
    )
    assert _calls(text) == [
        ["ip", "awk", "command", "env", "timeout", "ping"],  # `command -v less` does not call less
        ["echo", "xxd"],  # nothing runs inside single quotes
        ["wget", "exit"],
        ["nc"],
        [],
        ["sh", "ps", "exec", "gunicorn"],
        ["time", "python"],
        ["unzip"],
        [],
    ]


def test_substitution_bodies_nest_and_skip_single_quotes() -> None:
    assert substitutions('"$(a $(b) c)"x$(d)\'$(e)\'$((1+2))') == ["a $(b) c", "d"]


def _table() -> dict:
    data = resources.files("rewriter").joinpath("data/busybox-applets.toml").read_bytes()
    return tomllib.loads(data.decode("utf-8"))["packages"]


def test_each_command_has_one_package() -> None:
    commands = [c for entry in _table().values() for c in entry["commands"]]
    assert len(commands) == len(set(commands))
    assert applets()["ps"] == ("procps", frozenset({"procps"}))
    assert applets()["vi"][1] >= {"vim-tiny", "vim"}


@pytest.mark.parametrize("command", ["sed", "grep", "tar", "gzip", "which", "pidof", "hostname", "ldd", "more", "su", "crond"])
def test_commands_slim_has_or_that_need_more_than_a_package_are_not_in_the_table(command: str) -> None:
    assert command not in applets()
