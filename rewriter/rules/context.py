"""What every Dockerfile rule sees: the parsed file, its stages and the settings.

It also reads the ``# dockerfix: ignore`` pragmas: a comment line directly above an
instruction (in the block of comment lines that touches it) that says
``# dockerfix: ignore`` keeps every rule off that instruction, and
``# dockerfix: ignore=<rule-id>[,<rule-id>]`` keeps those rules off it.  A FROM (or
the ARG default its image comes from) that ``base-image`` may not touch is not
migrated, and neither are the stages built on it: translating their RUNs to apt-get
on an Alpine base would break them.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field, replace
from typing import Any

from ..dockerfile import Dockerfile, Instruction
from ..edits import Fix
from ..findings import RuleOutput
from ..settings import Settings
from ..stages import Stage, stage_codename

ALL_RULES = "*"
_PRAGMA = re.compile(r"[ \t]*#[ \t]*dockerfix:[ \t]*ignore(?:[ \t]*=[ \t]*(?P<ids>[^#\r\n]*?))?[ \t]*\r?$")
_COMMENT = re.compile(r"[ \t]*#")


@dataclass(frozen=True)
class Pragma:
    line: int  # 1-based line of the pragma comment
    rules: frozenset[str]  # rule ids, or {ALL_RULES}


@dataclass
class DockerfileContext:
    df: Dockerfile
    stages: tuple[Stage, ...]
    settings: Settings
    memo: dict[str, Any] = field(default_factory=dict, repr=False)  # results rules share (see apk_to_apt)
    pragmas: dict[int, Pragma] = field(default_factory=dict, repr=False)  # instruction start -> pragma
    _line_starts: list[int] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        text = self.df.text
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.pragmas = read_pragmas(self.df)
        self.stages = self._without_ignored_bases(self.stages)

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

    def ignores(self, ins: Instruction, rule_id: str) -> bool:
        """Whether a pragma keeps ``rule_id`` off ``ins``."""
        pragma = self.pragmas.get(ins.start)
        return pragma is not None and (ALL_RULES in pragma.rules or rule_id in pragma.rules)

    def drop_ignored(self, rule_id: str, output: RuleOutput) -> RuleOutput:
        """``output`` less what touches an instruction a pragma keeps ``rule_id`` off.

        A fix is dropped whole when one of its edits touches such an instruction; a
        finding or change when its line lies in one.
        """
        ignored = [ins for ins in self.df.instructions if self.ignores(ins, rule_id)]
        if not ignored:
            return output

        def touches(fix: Fix) -> bool:
            return any(ins.start <= e.end and e.start <= ins.end for e in fix.edits for ins in ignored)

        def inside(line: int) -> bool:
            return any(ins.line <= line <= ins.end_line for ins in ignored)

        return replace(
            output,
            fixes=[f for f in output.fixes if not touches(f)],
            findings=[f for f in output.findings if not inside(f.line)],
            changes=[c for c in output.changes if not inside(c.line)],
            packages=[p for p in output.packages if not inside(p.line)],
        )

    def _without_ignored_bases(self, stages: tuple[Stage, ...]) -> tuple[Stage, ...]:
        """Stages whose base image a pragma keeps unchanged are not migrated (nor their children)."""
        held = [ins for ins in self.df.instructions if self.ignores(ins, "base-image")]
        if not held:
            return stages
        out: list[Stage] = []
        for stage in stages:
            migrate = stage.migrate
            if stage.python_alpine:
                target = stage.target
                migrate = not any(
                    ins is stage.from_instruction or (target is not None and ins.start <= target.start < ins.end)
                    for ins in held
                )
            elif stage.parent is not None:
                migrate = out[stage.parent].migrate
            out.append(replace(stage, migrate=migrate) if migrate != stage.migrate else stage)
        return tuple(out)


def read_pragmas(df: Dockerfile) -> dict[int, Pragma]:
    """Pragmas by the start offset of the instruction they govern."""
    text = df.text
    lines = text.split("\n")
    found: dict[int, Pragma] = {}
    previous_end = 0  # last line (1-based) of the instruction before
    for ins in df.instructions:
        rules: set[str] = set()
        first = None
        line = ins.line - 1
        while line > previous_end and _COMMENT.match(lines[line - 1]):
            match = _PRAGMA.fullmatch(lines[line - 1])
            if match:
                ids = match.group("ids")
                rules.update({ALL_RULES} if ids is None else {i.strip() for i in ids.split(",") if i.strip()})
                first = line if first is None else first
            line -= 1
        if first is not None:
            found[ins.start] = Pragma(first, frozenset(rules))
        previous_end = ins.end_line
    return found
