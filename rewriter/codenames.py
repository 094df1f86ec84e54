"""Debian releases the official ``python`` image has been built on, oldest first.

The order is what a codename fallback measures distance in: when a Python version
was never published for the requested release, :func:`closest` picks the release
nearest to it in this list.  At equal distance the newer release wins, because it
keeps receiving security updates longer (the published tags have no gaps today, so
a tie cannot happen with the current data; the rule is there for future data).

Wheezy never had a ``slim-wheezy`` tag; it is listed so that a request for it
falls back to jessie instead of being rejected.
"""

from __future__ import annotations

from collections.abc import Iterable

DEBIAN_VERSIONS: dict[str, int] = {
    "wheezy": 7,
    "jessie": 8,
    "stretch": 9,
    "buster": 10,
    "bullseye": 11,
    "bookworm": 12,
    "trixie": 13,
}
CODENAMES: tuple[str, ...] = tuple(DEBIAN_VERSIONS)  # oldest -> newest


def rank(codename: str) -> int:
    """Position in release order; raises ValueError for a name that is not a known codename."""
    try:
        return CODENAMES.index(codename)
    except ValueError:
        raise ValueError(f"unknown Debian codename {codename!r}; known: {', '.join(CODENAMES)}") from None


def describe(codename: str) -> str:
    """``bookworm (Debian 12)``: the number is what most readers recognise."""
    return f"{codename} (Debian {DEBIAN_VERSIONS[codename]})"


def newest(codenames: Iterable[str]) -> str | None:
    return max(codenames, key=rank, default=None)


def closest(requested: str, available: Iterable[str]) -> str | None:
    """The available codename nearest to ``requested`` in release order; the newer one on a tie."""
    target = rank(requested)
    return min(available, key=lambda c: (abs(rank(c) - target), -rank(c)), default=None)
