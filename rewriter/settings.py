"""Frozen run settings: what the CLI (and later configuration files) decide."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

CODENAMES = ("bullseye", "bookworm", "trixie")


@dataclass(frozen=True)
class Settings:
    codename: str | None = None  # None: newest Debian codename published for each Python version
    package_overrides: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    select: frozenset[str] | None = None  # None: every rule
    ignore: frozenset[str] = frozenset()
    migrate_copy_targets: bool = False  # move plain alpine stages that COPY --from a migrated stage
    prune_build_deps: bool = False  # leave out compilers and headers when every requirement has a wheel
    offline: bool = False  # PyPI answers only from the cache (rewriter/wheels.py)
    build_context: str | None = None  # folder the Dockerfile's COPY sources come from; None: unknown

    def rule_enabled(self, rule_id: str) -> bool:
        if rule_id in self.ignore:
            return False
        return self.select is None or rule_id in self.select
