"""The package's own data files (``rewriter/data/``), read once each."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

__all__ = ["text", "toml", "tomllib"]


def text(name: str) -> str:
    return resources.files("rewriter").joinpath("data", name).read_text("utf-8")


@lru_cache(maxsize=None)
def toml(name: str) -> dict:
    """A data file's TOML table; shared by every caller, so never modify it."""
    return tomllib.loads(text(name))
