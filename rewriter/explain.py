"""``dockerfix explain``: why leave Alpine, in numbers, for one project.

For each migrated stage of each Dockerfile: the requirements it installs (and
their dependencies), the release pip would pick, and what pip installs it from on
the Alpine image and on its Debian slim replacement: a wheel, or a source build.
The result is text (a table and a one-line verdict per stage) and the same facts
as plain data for the Markdown and JSON reports.  Nothing is printed here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from . import dockerfile, stages as stages_mod, wheels
from .files import DOCKERFILE, find_targets
from .requirements import Note, find
from .settings import Settings
from .source import SourceError, read_source

CELL = {"wheel": "wheel ({})", "pure": "wheel (pure Python)", "source": "source build", "none": "no file for it"}
UNCHECKED = "not checked"


@dataclass
class StageExplanation:
    stage: int
    name: str | None  # the stage's alias
    line: int  # its FROM line
    targets: wheels.StageTargets
    rows: list[wheels.Resolved]
    alpine: list[wheels.Availability | None]  # per row; None when the row could not be checked
    debian: list[wheels.Availability | None]
    notes: list[Note] = field(default_factory=list)

    def count(self, side: str, status: str) -> int:
        return sum(1 for a in getattr(self, side) if a is not None and a.status == status)

    @property
    def checked(self) -> int:
        return sum(1 for a in self.alpine if a is not None)

    @property
    def verdict(self) -> str:
        if not self.rows and self.notes:
            return "no requirement could be read (see the notes)"
        return verdict(
            self.checked,
            len(self.rows) - self.checked,
            (self.count("alpine", "source"), self.count("alpine", "none"), self.targets.alpine.image),
            (self.count("debian", "source"), self.count("debian", "none"), self.targets.debian.image),
        )

    def data(self) -> dict:
        def side(target: wheels.Target, key: str) -> dict:
            return {
                "image": target.image,
                "libc": target.libc_label,
                "wheels": self.count(key, "wheel") + self.count(key, "pure"),
                "source_builds": self.count(key, "source"),
                "no_file": self.count(key, "none"),
            }

        return {
            "stage": self.stage,
            "name": self.name,
            "line": self.line,
            "python": {"alpine": self.targets.alpine.python_full, "debian": self.targets.debian.python_full},
            "platform": self.targets.platform,
            "alpine": side(self.targets.alpine, "alpine"),
            "debian": side(self.targets.debian, "debian"),
            "checked": self.checked,
            "unchecked": len(self.rows) - self.checked,
            "verdict": self.verdict,
            "requirements": [
                {
                    "name": row.display,
                    "version": row.version,
                    "specifier": row.specifier,
                    "origin": row.origin,
                    "direct": row.direct,
                    "problem": row.problem,
                    "alpine": _availability_data(a),
                    "debian": _availability_data(d),
                }
                for row, a, d in zip(self.rows, self.alpine, self.debian)
            ],
            "notes": [{"line": n.line, "message": n.message} for n in self.notes],
        }


def _availability_data(found: wheels.Availability | None) -> dict | None:
    if found is None:
        return None
    return {"status": found.status, "platform": found.platform, "file": found.filename}


@dataclass
class FileExplanation:
    path: str
    stages: list[StageExplanation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # why nothing is explained
    error: str | None = None

    def data(self) -> dict:
        return {"path": self.path, "error": self.error, "notes": self.notes, "stages": [s.data() for s in self.stages]}


def _side(source: int, missing: int, checked: int, image: str, first: bool) -> str:
    """One image's half of the verdict; the first half names the noun."""
    total = f"{checked} requirement{'' if checked == 1 else 's'}" if first else str(checked)
    if not source and not missing:
        if checked == 1:
            return f"{'the only requirement' if first else 'it'} installs from a wheel on {image}"
        return f"all {total} install from wheels on {image}"
    parts = []
    if source:
        parts.append(f"{source} of {total} {'compiles' if source == 1 else 'compile'} from source on {image}")
    if missing:
        where = "there" if source else f"on {image}"
        count = str(missing) if source else f"{missing} of {total}"
        parts.append(f"{count} {'has' if missing == 1 else 'have'} no file that installs {where}")
    return " and ".join(parts)


def verdict(checked: int, unchecked: int, alpine: tuple[int, int, str], debian: tuple[int, int, str]) -> str:
    """"7 of 23 requirements compile from source on python:3.8-alpine; all 23 install from wheels on ...".

    ``alpine`` and ``debian`` are (source builds, no installable file, image).
    """
    if not checked:
        if unchecked:
            return f"none of the {unchecked} requirement{'' if unchecked == 1 else 's'} could be checked"
        return "no Python requirements found"
    text = f"{_side(*alpine[:2], checked, alpine[2], True)}; {_side(*debian[:2], checked, debian[2], False)}"
    if unchecked:
        text += f" ({unchecked} more could not be checked)"
    return text


def _cell(found: wheels.Availability | None, target: wheels.Target) -> str:
    if found is None:
        return UNCHECKED
    if found.status == "wheel":
        return CELL["wheel"].format((found.platform or "").removesuffix(f"_{target.arch}"))
    return CELL[found.status]


def explain_text(text: str, path: str, settings: Settings, index: wheels.PyPI, context: Path | None, platform: str | None = None) -> FileExplanation:
    """Explain one Dockerfile's text; ``context`` is its build context (None: unknown)."""
    result = FileExplanation(path)
    try:
        df = dockerfile.parse(text)
    except dockerfile.DockerfileSyntaxError as exc:
        result.error = str(exc)
        return result
    stages = stages_mod.analyse(df, settings.codename)
    if not any(s.migrate for s in stages):
        result.notes.append("no python Alpine stage: nothing to compare")
        return result
    variables = {name: arg.value.text for name, arg in stages_mod.global_args(df).items() if arg.value}
    installed = find(df, stages, context)
    for stage in stages:
        if not stage.migrate:
            continue
        found = installed[stage.index]
        if not (found.requirements or found.unseen or found.source_builds):
            continue
        targets = wheels.stage_targets(stages, stage, variables, platform)
        if targets is None:
            result.notes.append(f"line {stage.from_instruction.line}: no Debian slim tag for {stage.base_ref}: nothing to compare")
            continue
        rows = wheels.resolve(found.requirements, found.constraints, targets.debian, index)
        checkable = [row.problem is None and row.version is not None for row in rows]
        notes = [*(Note(stage.from_instruction.line, n) for n in targets.notes), *found.unseen, *found.source_builds, *found.notes]
        notes += [Note(row.line, f"{row.display}: {row.problem or row.conflict}") for row in rows if row.problem or row.conflict]
        result.stages.append(
            StageExplanation(
                stage.index,
                stage.alias,
                stage.from_instruction.line,
                targets,
                rows,
                [wheels.availability(r.files, targets.alpine) if ok else None for r, ok in zip(rows, checkable)],
                [wheels.availability(r.files, targets.debian) if ok else None for r, ok in zip(rows, checkable)],
                notes,
            )
        )
    if not result.stages and not result.notes:
        result.notes.append("no Python requirements found (pip install, requirement files, poetry/uv/pipenv lock files)")
    return result


def render(explanations: Iterable[FileExplanation]) -> str:
    """The human-readable report: per Dockerfile and stage, a table and the verdict."""
    out: list[str] = []
    for item in explanations:
        out.append(f"{item.path}:")
        if item.error:
            out.append(f"  error: {item.error}")
        out += [f"  {note}" for note in item.notes]
        for stage in item.stages:
            out += _render_stage(stage)
        out.append("")
    return "\n".join(out)


def _render_stage(stage: StageExplanation) -> list[str]:
    alpine, debian = stage.targets.alpine, stage.targets.debian
    name = f" ({stage.name})" if stage.name else ""
    python = "%d.%d" % debian.python
    lines = [f"  stage {stage.stage}{name}, line {stage.line}: {alpine.image} -> {debian.image}, {stage.targets.platform}, Python {python}"]
    if stage.rows:
        table = [("requirement", "version", "from", f"Alpine ({alpine.libc_label})", f"Debian ({debian.libc_label})")]
        for row, a, d in zip(stage.rows, stage.alpine, stage.debian):
            origin = row.origin if row.direct else f"via {row.origin}"
            table.append((row.display, row.version or "-", origin, _cell(a, alpine), _cell(d, debian)))
        widths = [max(len(r[i]) for r in table) for i in range(len(table[0]) - 1)]
        for cells in table:
            lines.append("    " + "  ".join(c.ljust(w) for c, w in zip(cells, widths)) + "  " + cells[-1])
    lines.append(f"  => {stage.verdict}")
    for note in stage.notes:
        lines.append(f"  note: line {note.line}: {note.message}")
    return lines


def explain_paths(
    paths: Iterable[str],
    settings: Settings,
    offline: bool = False,
    *,
    index: wheels.PyPI | None = None,
    platform: str | None = None,
    context: str | None = None,
) -> tuple[str, dict]:
    """Explain every Dockerfile under ``paths``: (text, data).

    ``data`` is ``{"files": [FileExplanation.data() ...], "verdicts": [...]}``, JSON-ready.
    ``context`` is the build context for every file (default: each Dockerfile's folder).
    """
    index = index or wheels.PyPI(offline=offline)
    targets, missing = find_targets(list(paths))
    explanations = [FileExplanation(path, error="no such file or folder") for path in missing]
    for target in targets:
        if target.kind != DOCKERFILE:
            continue
        try:
            source = read_source(target.path)
        except SourceError as exc:
            explanations.append(FileExplanation(target.path, error=str(exc)))
            continue
        folder = Path(context) if context else Path(os.path.dirname(os.path.abspath(target.path)))
        explanations.append(explain_text(source.text, target.path, settings, index, folder, platform))
    data = {
        "files": [e.data() for e in explanations],
        "verdicts": [f"{e.path}: {s.verdict}" for e in explanations for s in e.stages],
    }
    return render(explanations), data
