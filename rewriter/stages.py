"""Stage facts of a Dockerfile, computed once from the original text.

A stage is migrated when its base is a python Alpine image: named directly, through
a global ARG default (``FROM python:${V}-alpine`` or ``FROM ${BASE}``), or through a
chain of ``FROM <earlier stage>``.  Every other stage (``alpine:3.19``,
``nginx:alpine`` ...) and its instructions are left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from . import images
from .dockerfile import Dockerfile, Instruction, logical_args

_VAR = re.compile(r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?P<mod>:?[-+][^}]*)?\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))")


@dataclass(frozen=True)
class Span:
    text: str
    start: int  # offsets in the original file
    end: int


@dataclass(frozen=True)
class ArgDefault:
    """``ARG NAME=value`` before the first FROM: the value's span in the file."""

    name: str
    value: Span | None
    instruction: Instruction


@dataclass(frozen=True)
class Stage:
    index: int
    from_instruction: Instruction
    image: Span  # the image reference as written (may contain ${VAR})
    alias: str | None
    parent: int | None  # index of the stage it is built FROM, if any
    instructions: tuple[Instruction, ...]  # the stage's instructions after FROM
    base_ref: str | None  # the image reference with ARG defaults substituted; None if unknown
    python_alpine: bool  # this FROM itself names a python Alpine image
    migrate: bool  # this stage (or the stage it descends from) is migrated
    decision: images.TagDecision | None  # the tag decision for a python Alpine FROM
    target: Span | None  # where that decision's edits apply: the FROM image, or the ARG default it names
    musl: bool = False  # the stage stays on an Alpine (musl) image
    copies_from_migrated: tuple[tuple[Instruction, int], ...] = ()  # COPY --from=<migrated stage> into a musl stage


_WORD = re.compile(r"\S+")
# ARG's words, where a quoted default may hold blanks (``ARG PKGS="gcc musl-dev"``)
_ARG_WORD = re.compile(r"""(?:[^\s"']|"(?:[^"\\]|\\.)*"|'[^']*')+""")


def words_with_spans(df: Dockerfile, ins: Instruction, word: re.Pattern[str] = _WORD) -> list[Span]:
    """Argument words of a non-shell instruction (whitespace-separated by default), with file offsets."""
    logical = logical_args(df, ins)
    return [
        Span(m.group(), logical.to_original(m.start()), logical.to_original(m.end() - 1) + 1)
        for m in word.finditer(logical.text)
    ]


def global_args(df: Dockerfile) -> dict[str, ArgDefault]:
    """ARG defaults declared before the first FROM (the only ones FROM can use)."""
    found: dict[str, ArgDefault] = {}
    for ins in df.instructions:
        if ins.keyword == "FROM":
            break
        if ins.keyword != "ARG":
            continue
        for word in words_with_spans(df, ins, _ARG_WORD):
            name, eq, value = word.text.partition("=")
            span = None
            if eq:
                start = word.start + len(name) + 1
                span = Span(value, start, word.end)
                if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                    span = Span(value[1:-1], start + 1, word.end - 1)
            found[name] = ArgDefault(name, span, ins)
    return found


def substitute(text: str, args: dict[str, ArgDefault]) -> str | None:
    """Expand ``$VAR``/``${VAR}``/``${VAR:-x}`` with ARG defaults; None when a value is unknown."""
    if len(text) > images.MAX_REF_LENGTH:  # not an image reference (and _VAR would scan quadratically)
        return None
    unknown = False

    def repl(match: re.Match[str]) -> str:
        nonlocal unknown
        name = match.group("braced") or match.group("bare")
        mod = match.group("mod") or ""
        arg = args.get(name)
        value = arg.value.text if arg and arg.value else None
        if mod.startswith((":-", "-")):
            default = mod.split("-", 1)[1]
            return value if value else default
        if mod.startswith((":+", "+")):
            return mod.split("+", 1)[1] if value else ""
        if value is None:
            unknown = True
            return ""
        return value

    expanded = _VAR.sub(repl, text)
    return None if unknown else expanded


def _edit_target(image: Span, args: dict[str, ArgDefault]) -> Span:
    """``FROM ${BASE}`` with ``ARG BASE=python:3.11-alpine`` is fixed at the ARG's default."""
    whole = _VAR.fullmatch(image.text)
    if whole and not whole.group("mod"):
        arg = args.get(whole.group("braced") or whole.group("bare"))
        if arg and arg.value and "$" not in arg.value.text:
            return arg.value
    return image


def analyse(df: Dockerfile, codename: str | None, migrate_copy_targets: bool = False) -> tuple[Stage, ...]:
    args = global_args(df)
    variables = {name: arg.value.text for name, arg in args.items() if arg.value}
    stages: list[Stage] = []
    froms = [i for i, ins in enumerate(df.instructions) if ins.keyword == "FROM"]
    for number, position in enumerate(froms):
        ins = df.instructions[position]
        following = froms[number + 1] if number + 1 < len(froms) else len(df.instructions)
        words = words_with_spans(df, ins)
        if not words:
            continue
        image = words[0]
        alias = words[2].text if len(words) >= 3 and words[1].text.lower() == "as" else None
        base_ref = substitute(image.text, args)
        parent = next(
            (s.index for s in reversed(stages) if s.alias and base_ref and s.alias.lower() == base_ref.lower()),
            None,
        )
        decision = target = None
        if parent is None:
            target = _edit_target(image, args)
            decision = images.decide(target.text, codename, variables)
        python_alpine = decision is not None
        migrate = python_alpine or (parent is not None and stages[parent].migrate)
        stages.append(
            Stage(
                index=len(stages),
                from_instruction=ins,
                image=image,
                alias=alias,
                parent=parent,
                instructions=tuple(df.instructions[position + 1 : following]),
                base_ref=base_ref,
                python_alpine=python_alpine,
                migrate=migrate,
                decision=decision,
                target=target if decision else None,
            )
        )
    return _musl_copies(df, stages, migrate_copy_targets)


_PLAIN_ALPINE = re.compile(r"^(?:(?:docker\.io/|index\.docker\.io/)?library/)?alpine(?::[\w.-]+)?(?:@sha256:[0-9a-f]+)?$")


def _is_musl(stage: Stage, stages: list[Stage]) -> bool:
    if stage.parent is not None:
        return stages[stage.parent].musl
    ref = (stage.base_ref or "").lower()
    name, _, tag = ref.partition("@")[0].rpartition("/")[2].partition(":")
    return name == "alpine" or "alpine" in tag


def _musl_copies(df: Dockerfile, stages: list[Stage], migrate_copy_targets: bool) -> tuple[Stage, ...]:
    """Find musl stages that COPY --from a migrated stage; with the option, move plain alpine ones to Debian."""
    by_name = {s.alias.lower(): s.index for s in stages if s.alias}
    for position, stage in enumerate(stages):
        if stage.migrate:
            continue
        if stage.parent is not None and stages[stage.parent].migrate:  # parent moved by the option below
            stages[position] = replace(stage, migrate=True)
            continue
        musl = _is_musl(stage, stages)
        copies = []
        for ins in stage.instructions:
            source = next((f.value for f in ins.flags if f.name == "from" and f.value), None) if ins.keyword in ("COPY", "ADD") else None
            if source is None:
                continue
            index = int(source) if source.isdigit() else by_name.get(source.lower())
            if index is not None and index < len(stages) and stages[index].migrate:
                copies.append((ins, index))
        stage = replace(stage, musl=musl, copies_from_migrated=tuple(copies) if musl else ())
        if musl and copies and migrate_copy_targets and stage.parent is None and _PLAIN_ALPINE.match(stage.image.text):
            source = stages[copies[0][1]]
            while source.parent is not None:
                source = stages[source.parent]
            if source.decision and source.decision.new:
                # the image the files were built on, so a copied virtualenv finds its interpreter
                new = source.decision.new.partition("@")[0]
                decision = images.TagDecision(
                    old=stage.image.text, new=new, codename=source.decision.codename,
                    notes=(f"{stage.image.text} replaced by {new}, the image the copied files were built on (--migrate-copy-targets)",),
                    edits=((0, len(stage.image.text), new),),
                )
                stage = replace(stage, migrate=True, musl=False, decision=decision, target=stage.image, copies_from_migrated=())
        stages[position] = stage
    return tuple(stages)


def stage_codename(stages: tuple[Stage, ...], stage: Stage) -> str | None:
    """The Debian codename a migrated stage ends up on (inherited through FROM <stage>)."""
    while stage.parent is not None:
        stage = stages[stage.parent]
    return stage.decision.codename if stage.decision else None
