"""scanelf: Alpine's run-time dependency idiom becomes Debian's.

Why: images that compile extensions keep only the libraries the built files link to::

    runDeps="$(scanelf --needed --nobanner --format '%n#p' --recursive /usr/local \\
        | tr ',' '\\n' | sort -u | awk '...{ print "so:" $1 }')" \\
    && apk add --no-cache --virtual .rundeps $runDeps && apk del .build-deps

Debian has no ``scanelf`` and no ``so:`` names.  Its idiom (the one the official python
image uses) asks ``ldd`` which libraries the files load and ``dpkg-query --search`` which
packages hold them, and marks those as manually installed so that purging the build
dependencies with ``--auto-remove`` keeps them::

    runDeps="$(find /usr/local -type f \\( -executable -o -name '*.so*' \\) -exec ldd '{}' ';' 2>/dev/null \\
        | awk '...' | sort -u \\
        | xargs -r dpkg-query --search | cut -d: -f1 | sort -u)" \\
    && apt-get install -y --no-install-recommends $runDeps && apt-get purge -y --auto-remove ...

``apt-get install`` of packages that are already there only marks them manual, and an empty
list is fine.  The translation is part of apk-to-apt's fix for the RUN: the ``$( )`` body is
replaced, ``$runDeps`` (or an inline ``$(scanelf ...)``) passes through to ``apt-get install``,
and ``pax-utils``/``scanelf`` in the build dependencies are dropped (only scanelf needed them).
Refuses, with a report (and the RUN left unchanged): any other use of scanelf, a pipeline that
does more than filter scanelf's output, scanelf options it does not know.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from .. import shell
from ..findings import RuleOutput
from . import apk_to_apt
from .commands import substitutions
from .context import DockerfileContext

RULE_ID = "scanelf"
SUMMARY = "Translate the scanelf run-time dependency idiom into ldd + dpkg-query --search"

SCANELF = frozenset({"scanelf", "/usr/bin/scanelf"})
MARK_MANUAL = " | xargs -r apt-mark manual"  # ends the pipeline form: apt-mark needs no package lists
ONLY_FOR_SCANELF = {"pax-utils": "", "scanelf": ""}  # package overrides inside a translated idiom
# scanelf options that take a value, and the ones that only shape its output.
_WITH_VALUE = frozenset({"-F", "--format", "-E", "--etype", "-M", "--bits", "-k", "--section", "-N", "--lib", "-s", "--symbol"})
_SHAPE = frozenset({"-n", "--needed", "-B", "--nobanner", "-R", "--recursive", "-q", "--quiet", "-y", "--symlink", "-p", "--path", "-l", "--ldpath", "-b", "--bind", "-L", "--use-ldpath"})
_FILTERS = frozenset({"tr", "sort", "awk", "sed", "grep", "xargs", "uniq", "cut"})
# What the ldd output is reduced to: the packages holding every library outside /usr/local.
_AWK = """'/=>/ { so = $(NF-1); if (index(so, "/usr/local/") == 1) { next }; gsub("^/(usr/)?", "", so); printf "*%s\\n", so }'"""


@dataclass(frozen=True)
class Idiom:
    """A ``$(scanelf ...)`` found in a word: where its body is, and the paths it scans."""

    body_start: int  # offsets into the shell text
    body_end: int
    paths: tuple[str, ...]


class Refusal(Exception):
    """scanelf is used in a shape dockerfix does not translate; the message says why."""


def check(ctx: DockerfileContext) -> RuleOutput:
    """Findings of this rule; its edits are part of apk-to-apt's fix for the same RUN."""
    if not ctx.settings.rule_enabled(apk_to_apt.RULE_ID):
        return RuleOutput()
    return apk_to_apt.translation(ctx).outputs.get(RULE_ID, RuleOutput())


def find(word: shell.Word) -> Idiom | None:
    """The scanelf idiom in ``word`` (an assignment or an apk operand); Refusal if it is another shape."""
    if "scanelf" not in word.raw:
        return None
    bodies = substitutions(word.raw)
    found = [b for b in bodies if "scanelf" in b]
    if len(found) != 1 or len(bodies) != 1:
        raise Refusal("scanelf inside a word that is not a single $(scanelf ... | ...): translate it by hand")
    body = found[0]
    offset = word.raw.index("$(" + body) + 2
    return Idiom(word.start + offset, word.start + offset + len(body), _scanned_paths(body))


def debian_pipeline(paths: tuple[str, ...]) -> str:
    """The ldd + dpkg-query pipeline that lists the Debian packages the files in ``paths`` load."""
    where = " ".join(shlex.quote(p) for p in paths)
    return (
        f"find {where} -type f \\( -executable -o -name '*.so*' \\) -exec ldd '{{}}' ';' 2>/dev/null | awk {_AWK} | sort -u"
        " | xargs -r dpkg-query --search | cut -d: -f1 | sort -u"
    )


def runs_scanelf(command: shell.Command) -> bool:
    """``scanelf ...`` or ``find ... -exec scanelf ...``."""
    values = [w.value for w in command.words]
    if values and values[0] in SCANELF:
        return True
    return bool(values) and values[0] == "find" and any(
        a == "-exec" and b in SCANELF for a, b in zip(values, values[1:])
    )


def pipeline(group: list[shell.Command], is_apk_add) -> tuple[str, ...]:
    """The paths of ``find PATHS ... -exec scanelf --needed ... | filters | xargs apk add ...`` (the
    official python image's form); Refusal for other shapes.  ``is_apk_add(words)`` recognises the end."""
    *head, last = group
    words = [w.value for w in last.words]
    if not words or words[0] != "xargs" or "apk" not in words or not is_apk_add(last.words[words.index("apk") :]):
        raise Refusal("scanelf's output goes to something other than apk add: translate it by hand")
    if any(v is None or not v.startswith("-") for v in words[1 : words.index("apk")]):
        raise Refusal("xargs options in the scanelf pipeline dockerfix does not know: translate it by hand")
    return _pipeline_paths(head)


def _scanned_paths(body: str) -> tuple[str, ...]:
    try:
        script = shell.parse(body)
    except shell.ShellSyntaxError as exc:
        raise Refusal(f"scanelf pipeline could not be read ({exc}): translate it by hand") from None
    commands = list(script.commands)
    if not commands or not runs_scanelf(commands[0]):
        raise Refusal("scanelf is not the first command of its $( ): translate it by hand")
    if any(c.in_compound for c in commands):
        raise Refusal("the scanelf pipeline runs a loop or compound command: translate it by hand")
    if any(c.sep_after not in ("|", None) for c in commands[:-1]) or commands[-1].sep_after is not None:
        raise Refusal("the scanelf $( ) does more than one pipeline: translate it by hand")
    return _pipeline_paths(commands)


def _pipeline_paths(commands: list[shell.Command]) -> tuple[str, ...]:
    """The paths a scanelf pipeline (scanelf first, then filters) scans."""
    for before, after in zip(commands, commands[1:]):
        if before.sep_after != "|":
            raise Refusal("the scanelf $( ) does more than one pipeline: translate it by hand")
        if after.in_compound:
            raise Refusal("the scanelf pipeline runs a loop or compound command: translate it by hand")
        head = after.words[0].value if after.words else None
        if head not in _FILTERS:
            raise Refusal(f"`{head or after.words[0].raw}` in the scanelf pipeline is not a filter dockerfix knows: translate it by hand")
    words = commands[0].words
    if words[0].value == "find":
        return _find_paths(words)
    return _scanelf_paths(words[1:], require_paths=True)


def _find_paths(words) -> tuple[str, ...]:
    """``find PATHS <expression> -exec scanelf --needed ... '{}' ';'``: the PATHS."""
    values = [w.value for w in words]
    if None in values:
        raise Refusal("find arguments built at run time in the scanelf pipeline: translate it by hand")
    paths = []
    for value in values[1:]:
        if value.startswith("-") or value in ("(", "!"):
            break
        paths.append(value)
    at = next(i for i, (a, b) in enumerate(zip(values, values[1:])) if a == "-exec" and b in SCANELF)
    end = next((i for i in range(at + 2, len(values)) if values[i] in (";", "+")), len(values))
    _scanelf_paths(words[at + 2 : end], require_paths=False)
    if not paths:
        raise Refusal("find without a path in the scanelf pipeline: translate it by hand")
    return tuple(paths)


def _scanelf_paths(words, require_paths: bool) -> tuple[str, ...]:
    paths: list[str] = []
    needed = False
    i = 0
    while i < len(words):
        value = words[i].value
        if value is None:
            raise Refusal(f"scanelf argument `{words[i].raw}` is built at run time: translate it by hand")
        name = value.split("=", 1)[0]
        if name in _WITH_VALUE:
            i += 1 if "=" in value else 2
            continue
        if value.startswith("-") and value != "-":
            if name in ("-n", "--needed") or re.fullmatch(r"-[BRqyplbLn]*n[BRqyplbLn]*", value):
                needed = True
            elif name not in _SHAPE and not re.fullmatch(r"-[BRqyplbL]+", value):
                raise Refusal(f"scanelf option `{value}` is not one dockerfix translates: translate it by hand")
        elif value != "{}":
            paths.append(value)
        i += 1
    if not needed or (require_paths and not paths):
        raise Refusal("scanelf without --needed and a path is not the run-time dependency idiom: translate it by hand")
    return tuple(paths)
