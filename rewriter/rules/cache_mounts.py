"""cache-mounts: BuildKit cache mounts of apk's cache become apt's, with the apt idiom for them.

Why: ``--mount=type=cache,target=/var/cache/apk`` keeps downloaded Alpine packages between
builds; on Debian that cache is useless.  Docker's documented apt equivalent mounts
``/var/cache/apt`` and ``/var/lib/apt`` with ``sharing=locked`` (apt needs exclusive access)
and turns off the ``docker-clean`` hook of Debian images, which would otherwise empty the
cache after every install; the lists then live in the cache mount, so the RUN must not
``rm -rf /var/lib/apt/lists/*`` them.

Example::

    RUN --mount=type=cache,target=/var/cache/apk apk add gcc
    RUN --mount=type=cache,target=/var/cache/apt,sharing=locked --mount=type=cache,target=/var/lib/apt,sharing=locked \\
        rm -f /etc/apt/apt.conf.d/docker-clean && echo 'Binary::apt::APT::Keep-Downloaded-Packages "true";' \\
        > /etc/apt/apt.conf.d/keep-cache && apt-get update && apt-get install -y --no-install-recommends gcc

(the hook is turned off once, in the first such RUN of a stage chain).  The mounts change
only together with apk-to-apt's translation of the same RUN, so a RUN is translated whole or
not at all; the ``ln -s /var/cache/apk /etc/apk/cache`` that enables apk's cache goes away
with it.  Refuses, with a report: cache mounts with options other than ``type``, ``target``
(``dst``, ``destination``), ``sharing`` and ``id``.
"""

from __future__ import annotations

from ..dockerfile import Flag, Instruction
from ..edits import Edit
from ..findings import RuleOutput
from . import apk_to_apt
from .context import DockerfileContext

RULE_ID = "cache-mounts"
SUMMARY = "Turn apk cache mounts into apt cache mounts (sharing=locked, docker-clean off, no list cleanup)"

APK_CACHES = frozenset({"/var/cache/apk", "/var/cache/apk/", "/etc/apk/cache", "/etc/apk/cache/"})
APT_MOUNTS = "--mount=type=cache,target=/var/cache/apt,sharing=locked --mount=type=cache,target=/var/lib/apt,sharing=locked"
KEEP_CACHE = (
    "rm -f /etc/apt/apt.conf.d/docker-clean && "
    "echo 'Binary::apt::APT::Keep-Downloaded-Packages \"true\";' > /etc/apt/apt.conf.d/keep-cache"
)
_TARGET_KEYS = ("target", "dst", "destination")
_KNOWN_KEYS = frozenset({"type", *_TARGET_KEYS, "sharing", "id"})


def check(ctx: DockerfileContext) -> RuleOutput:
    """Findings of this rule; its edits are part of apk-to-apt's fix for the same RUN."""
    if not ctx.settings.rule_enabled(apk_to_apt.RULE_ID):
        return RuleOutput()
    return apk_to_apt.translation(ctx).outputs.get(RULE_ID, RuleOutput())


def mount_options(flag: Flag) -> dict[str, str]:
    """``type=cache,target=/x`` -> {"type": "cache", "target": "/x"}; bare words map to ""."""
    options: dict[str, str] = {}
    for part in (flag.value or "").split(","):
        key, _, value = part.partition("=")
        options[key.strip().lower()] = value.strip()
    return options


def apk_cache_mounts(ins: Instruction) -> list[Flag]:
    """The RUN's ``--mount`` flags that cache apk's package directory."""
    found = []
    for flag in ins.flags:
        if flag.name != "mount":
            continue
        options = mount_options(flag)
        if options.get("type") == "cache" and any(options.get(k) in APK_CACHES for k in _TARGET_KEYS):
            found.append(flag)
    return found


def refusal(flag: Flag) -> str | None:
    """Why this apk cache mount is not translated, or None."""
    unknown = sorted(set(mount_options(flag)) - _KNOWN_KEYS)
    if unknown:
        return f"cache mount option(s) {', '.join(unknown)} on the apk cache: translate the mount by hand"
    return None


def mount_edits(text: str, mounts: list[Flag]) -> list[Edit]:
    """The first apk cache mount becomes the two apt cache mounts; further ones go away with the
    blanks before them."""
    first, *rest = sorted(mounts, key=lambda f: f.start)
    edits = [Edit(first.start, first.end, APT_MOUNTS)]
    for flag in rest:
        start = flag.start
        while start > 0 and text[start - 1] in " \t":
            start -= 1
        edits.append(Edit(start, flag.end, ""))
    return edits
