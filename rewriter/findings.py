"""Results and findings are values; only the CLI and the reporters print them."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from .edits import Fix


class Severity(str, Enum):
    INFO = "info"  # a change was made; this explains a choice in it
    WARNING = "warning"  # a change was made with a caveat, or not made: a human should look
    ERROR = "error"  # the file could not be processed


@dataclass(frozen=True)
class Finding:
    """Something a reviewer must know: printed as ``path:line: rule: message``."""

    rule: str
    line: int
    message: str
    severity: Severity = Severity.WARNING


@dataclass(frozen=True)
class Change:
    """One made change, for the reports: what was there and what replaced it."""

    rule: str
    line: int
    before: str
    after: str


@dataclass(frozen=True)
class PackageChange:
    """One Alpine package's translation, for the pull-request body's package table."""

    line: int
    alpine: str
    debian: tuple[str, ...]  # the Debian names installed instead (empty unless decision is "map")
    decision: str  # map, drop, pypi (removed: pip-install it) or unknown (not translated, reported)
    reason: str


@dataclass
class RuleOutput:
    """What one rule proposes for one file."""

    fixes: list[Fix] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    packages: list[PackageChange] = field(default_factory=list)


@dataclass
class FileResult:
    """One file's outcome: the new text, what changed, what a human must look at."""

    old: str
    new: str
    findings: list[Finding] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    packages: list[PackageChange] = field(default_factory=list)
    error: str | None = None  # the file could not be processed; ``new == old``

    @property
    def changed(self) -> bool:
        return self.new != self.old
