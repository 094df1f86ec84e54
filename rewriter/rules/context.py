"""What every Dockerfile rule sees: the parsed file, its stages and the settings."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from ..dockerfile import Dockerfile, Instruction
from ..settings import Settings
from ..stages import Stage, stage_codename


@dataclass
class DockerfileContext:
    df: Dockerfile
    stages: tuple[Stage, ...]
    settings: Settings
    _line_starts: list[int] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        text = self.df.text
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_of(self, offset: int) -> int:
        """1-based line number of a file offset."""
        return bisect.bisect_right(self._line_starts, offset)

    def migrated_instructions(self, keyword: str) -> list[tuple[Stage, Instruction]]:
        return [
            (stage, ins)
            for stage in self.stages
            if stage.migrate
            for ins in stage.instructions
            if ins.keyword == keyword
        ]

    def codename(self, stage: Stage) -> str | None:
        return stage_codename(self.stages, stage)
