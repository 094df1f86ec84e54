"""Which ``--platform`` values a Debian slim python image is published for (data/platforms.toml)."""

from __future__ import annotations

from functools import lru_cache

from .datafiles import toml


@lru_cache(maxsize=1)
def _table() -> dict:
    return toml("platforms.toml")


def unsupported(platform: str, codename: str) -> bool:
    """True when ``platform`` (e.g. ``linux/arm/v6``) is known and not published for that release.

    Variables (``$BUILDPLATFORM``) and platforms dockerfix does not know are not judged.
    """
    table = _table()
    arch = table["platforms"].get(platform.strip().lower())
    if arch is None:
        return False
    published = table["slim"].get(codename, table["slim"]["bullseye"])
    return arch not in published
