"""ci-image and ci-apk-to-apt: CI jobs that run on a python Alpine image move to the slim tag,
and their shell lines get the same apk -> apt-get translation as a Dockerfile RUN.

GitLab CI (:func:`fix_gitlab`): ``image:`` (a string or ``{name: ...}``) of each job,
of ``default:``, and the legacy top-level one; ``image: $VAR`` is fixed where the
variable is set (the job's variables, merged through ``extends:``, before the global
ones).  A job's keys are deep-merged over the templates it ``extends:`` (up to 11
levels, as GitLab), and without an image it uses the default (unless ``inherit:
default`` says otherwise).  Shell lines are ``script``, ``before_script`` and
``after_script`` (the last two also from ``default:``, which also run in jobs of
included files), strings or lists, with anchors and ``!reference [job, key, ...]``
followed.  ``services:`` images are migrated too.  A job whose image this file does
not decide (a reference to another file, a refused ``extends:`` chain) keeps its
lines, reported when the file migrates an image.

GitHub Actions (:func:`fix_github`): ``jobs.*.container`` (a string or ``{image:}``)
and ``jobs.*.services.*.image``; the shell lines are the ``run:`` of each step whose
shell is ``sh`` or ``bash`` (the default in a container).

An image named through something dockerfix does not follow (a GitHub ``${{ matrix.X }}``,
``${{ env.X }}`` or ``${{ inputs.X }}`` expression; a GitLab variable inside an image
name, or one a ``parallel: matrix:`` sets) is not migrated; when a value this file
writes for it makes the image a python Alpine one, that is reported, and the job's
lines stay as they are.

A shell line is translated only when every job that runs it is migrated to one
Debian codename; a line shared with jobs on other images is reported.  CI jobs in
container images run as root, so no ``sudo`` is added.  A list item left with nothing
to run is removed (when that keeps the YAML valid), else reported.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Union

from .compose import image_decisions, may_name_python_alpine, plan_image
from .findings import FileResult, Finding, Severity
from .images import is_python_alpine
from .rules.apk_to_apt import translate_shell
from .settings import Settings
from .yamlspans import (
    LineIndex,
    Mapping,
    Node,
    Planned,
    Scalar,
    ScalarChange,
    Sequence,
    YamlError,
    finish,
    get,
    is_str,
    layout,
    pairs,
    parse,
)

IMAGE_RULE = "ci-image"
SHELL_RULE = "ci-apk-to-apt"
SUMMARIES = {  # rule id -> one line for --list-rules
    IMAGE_RULE: "Rewrite python Alpine images of CI jobs to a published python:X-slim-<codename> tag",
    SHELL_RULE: "Translate apk calls in the shell lines of migrated CI jobs into apt-get",
}

GITLAB_RESERVED = frozenset(
    {"image", "services", "stages", "types", "before_script", "after_script", "variables", "cache", "include", "workflow", "default", "spec"}
)
GITLAB_SCRIPTS = ("before_script", "script", "after_script")
GITLAB_DEFAULTED = frozenset({"image", "services", "before_script", "after_script"})
_MAX_HOPS = 11  # extends / !reference levels GitLab allows
_WHOLE_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
_GITHUB_EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}")
_CONTEXT_PATH = re.compile(r"\s*([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)+)\s*")
_MAX_COMBINATIONS = 256  # value combinations tried for one image
_APK = re.compile(r"\bapk\b|/var/cache/apk")
_POSIX_SHELLS = frozenset({"sh", "bash", "/bin/sh", "/bin/bash", "/usr/bin/sh", "/usr/bin/bash"})


@dataclass(frozen=True)
class _User:
    """A job that runs a shell line."""

    job: str
    site: Scalar | None  # where its image is written
    codename: str | None  # what its image is migrated to (None: not migrated)
    hidden: bool = False  # a GitLab template (``.name``): never runs by itself
    undecided: bool = False  # its image is not known from this file (it may be a migrated one)


@dataclass(frozen=True)
class _Source:
    """Something an image names that dockerfix does not follow, and the values this file writes for it."""

    written: str  # as in the image: "${{ matrix.image }}", "$V"
    name: str  # as the message names it: "matrix.image", "V"
    kind: str  # what is not followed: "matrix values", "variables", ...
    values: tuple[Scalar, ...]  # empty: this file does not say
    unknown: str  # what stands for it when its value is not known ("$V" is masked by images)


def hidden_alpine(image: str, sources: list[_Source]) -> list[tuple[str, Scalar | None]]:
    """The python Alpine images ``image`` names for some combination of its sources' values, each
    with the first written value that gives it (None: it is Alpine whatever the unknown values are)."""
    if not sources:
        return []
    pattern = re.compile("|".join(re.escape(w) for w in sorted({s.written for s in sources}, key=len, reverse=True)))
    choices = [[(s.written, v.value, v) for v in s.values] or [(s.written, s.unknown, None)] for s in sources]
    found: dict[str, Scalar | None] = {}
    for combination in itertools.islice(itertools.product(*choices), _MAX_COMBINATIONS):
        chosen = {written: text for written, text, _ in combination}
        resolved = pattern.sub(lambda m: chosen[m[0]], image)
        if is_python_alpine(resolved) and resolved not in found:
            found[resolved] = next((v for _, _, v in combination if v is not None), None)
    return list(found.items())


def _hidden_message(image: str, sources: list[_Source], found: list[tuple[str, Scalar | None]], service: bool) -> str:
    names = ", ".join(dict.fromkeys(s.name for s in sources))
    known = [(ref, v) for ref, v in found if v is not None]
    lines = "" if service else ", and the job's apk lines,"
    if not known:
        return f"the image {image} is a python Alpine image whatever {names} is, which dockerfix does not resolve: migrate it{lines} by hand"
    kinds = " or ".join(dict.fromkeys(s.kind for s in sources if s.values))
    listing = ", ".join(f"{ref} (line {v.line})" for ref, v in known)
    where = "that value where it is" if len(known) == 1 else "those values where they are"
    return (
        f"the image {image} comes from {names}, which can give {listing}: dockerfix does not follow {kinds}"
        f" into an image; migrate {where} written{lines} by hand"
    )


@dataclass
class _Line:
    """A shell line and the jobs that run it."""

    scalar: Scalar
    sequence: Sequence | None  # the list it is an item of, if any
    jobs: list[_User] = field(default_factory=list)


@dataclass
class _Run:
    """What one file's jobs add up to."""

    text: str
    settings: Settings
    findings: list[Finding] = field(default_factory=list)
    planned: list[Planned] = field(default_factory=list)
    images: dict[int, str | None] = field(default_factory=dict)  # image site -> its new codename (None: not migrated)
    lines: dict[int, _Line] = field(default_factory=dict)
    reported: set[tuple[int, str]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.line_index = LineIndex(self.text)

    def image(self, site: Scalar | None) -> str | None:
        """Plan the site once; the codename the job moves to, or None when it stays."""
        if site is None or not self.settings.rule_enabled(IMAGE_RULE):
            return None
        if id(site) not in self.images:
            decisions = image_decisions(site.value, self.settings.codename)
            plan = plan_image(site, decisions, IMAGE_RULE, self.findings)
            if plan is not None:
                self.planned.append(plan)
            codenames = {d.codename for _, d in decisions if d.new is not None}
            self.images[id(site)] = codenames.pop() if len(codenames) == 1 else None
        return self.images[id(site)]

    def hidden(self, site: Scalar, sources: list[_Source], service: bool = False) -> bool:
        """Report an image that is python Alpine through values dockerfix does not follow (once per
        site); True when it is one, so the job's lines must stay."""
        if not self.settings.rule_enabled(IMAGE_RULE) or image_decisions(site.value, self.settings.codename):
            return False
        found = hidden_alpine(site.value, sources)
        if found:
            message = _hidden_message(site.value, sources, found, service)
            if (id(site), message) not in self.reported:
                self.reported.add((id(site), message))
                self.findings.append(Finding(IMAGE_RULE, site.line, message))
        return bool(found)

    def runs(self, user: _User, node: Node | None, sequence: Sequence | None = None) -> None:
        if isinstance(node, Scalar):
            self.lines.setdefault(id(node), _Line(node, sequence)).jobs.append(user)

    def finish(self, roots: list[Node]) -> FileResult:
        if self.settings.rule_enabled(SHELL_RULE):
            for line in sorted(self.lines.values(), key=lambda l: l.scalar.start):
                self._translate(line)
            self._keep_lists_non_empty()
        return finish(self.text, roots, self.planned, self.findings)

    def _translate(self, line: _Line) -> None:
        scalar = line.scalar
        if not is_str(scalar) or not _APK.search(scalar.value):
            return
        users = [u for u in line.jobs if not u.hidden] or line.jobs  # templates count when nothing else runs it
        undecided = sorted({u.job for u in users if u.undecided})
        if undecided:
            if any(codename is not None for codename in self.images.values()):
                self.findings.append(
                    Finding(SHELL_RULE, scalar.line, f"the image of {', '.join(undecided)} could not be decided; it may now run on Debian: translate it by hand")
                )
            return
        codenames = {u.codename for u in users}
        if None in codenames:
            if codenames != {None}:
                others = sorted({u.job for u in users if u.codename is None})
                self.findings.append(
                    Finding(SHELL_RULE, scalar.line, f"also runs in jobs whose image is not migrated ({', '.join(others)}): translate it by hand")
                )
            return
        if len(codenames) > 1:
            self.findings.append(Finding(SHELL_RULE, scalar.line, f"runs on images migrated to different Debian releases ({', '.join(sorted(codenames))}): translate it by hand"))
            return
        (codename,) = codenames
        where = layout(self.text, scalar)
        lines = self.line_index

        def line_of(index: int) -> int:
            origins = where.origins if where else ()
            origin = next((o for o in origins[index:] if o is not None), None)
            return lines.line_of(origin[0]) if origin else scalar.line

        translation = translate_shell(scalar.value, codename, self.settings.package_overrides, line_of)
        notes = [replace(f, rule=SHELL_RULE) for f in translation.findings]
        requires = tuple(dict.fromkeys(u.site for u in users if u.site is not None))
        if translation.removes_all:
            if line.sequence is None:
                self.findings.extend(notes)
                self.findings.append(Finding(SHELL_RULE, scalar.line, f"nothing is left to run here ({translation.removes_all}): remove it by hand"))
                return
            notes.append(Finding(SHELL_RULE, scalar.line, f"list item removed: {translation.removes_all}", Severity.INFO))
            change = ScalarChange(scalar, remove_from=line.sequence, requires=requires)
            self.planned.append(Planned(change, SHELL_RULE, scalar.value, "", notes, "list item not removed (remove it by hand)"))
            return
        if not translation.edits:
            self.findings.extend(notes)
            return
        change = ScalarChange(scalar, tuple((e.start, e.end, e.replacement) for e in translation.edits), requires=requires)
        self.planned.append(Planned(change, SHELL_RULE, scalar.value, change.new_value, notes, "apk calls not translated (translate them by hand)"))

    def _keep_lists_non_empty(self) -> None:
        """A list whose every item would go becomes null; report those removals instead."""
        by_list: dict[int, list[Planned]] = {}
        for plan in self.planned:
            if plan.change.remove_from is not None:
                by_list.setdefault(id(plan.change.remove_from), []).append(plan)
        for plans in by_list.values():
            if len(plans) == len(plans[0].change.remove_from.items):
                for plan in plans:
                    self.planned.remove(plan)
                    self.findings.append(Finding(SHELL_RULE, plan.change.scalar.line, "nothing is left to run in this list: remove it by hand"))


def _result(text: str, settings: Settings, collect) -> FileResult:
    if not may_name_python_alpine(text) and not ("python" in text and "alpine" in text):  # no python Alpine image, even through a variable
        return FileResult(text, text)
    try:
        roots = parse(text)
    except YamlError as exc:
        return FileResult(text, text, error=str(exc))
    run = _Run(text, settings)
    for root in roots:
        collect(run, root)
    return run.finish(roots)


# --- GitLab CI --------------------------------------------------------------------------------

Value = Union[Node, "dict[str, Value]"]  # a YAML node, or a mapping merged from several by ``extends``


class _Undecided(Exception):
    """An image named through a template or ``!reference`` this file does not hold."""


def fix_gitlab(text: str, settings: Settings) -> FileResult:
    """Migrate the python Alpine images of a GitLab CI file and the shell lines of their jobs."""
    return _result(text, settings, _collect_gitlab)


def _names(node: Node | None) -> list[str]:
    if is_str(node):
        return [node.value]
    if isinstance(node, Sequence):
        return [item.value for item in node.items if is_str(item)]
    return []


def _entries(value: Value | None) -> dict[str, Value] | None:
    """A mapping's keys, whether one YAML mapping or merged from several; None for anything else."""
    if isinstance(value, dict):
        return value
    return dict(pairs(value)) if isinstance(value, Mapping) else None


def _lookup(value: Value | None, key: str) -> Value | None:
    entries = _entries(value)
    return entries.get(key) if entries is not None else None


def _deep_merge(base: Value | None, over: Value) -> Value:
    """GitLab's ``extends`` merge: mappings merge key by key, anything else replaces."""
    below, above = _entries(base), _entries(over)
    if below is None or above is None:
        return over
    merged = dict(below)
    for key, value in above.items():
        merged[key] = _deep_merge(merged[key], value) if key in merged else value
    return merged


class _Extends:
    """Each job's keys with ``extends`` applied (deep-merged over its templates, later ones and the
    job's own winning), worked out once per job: shared templates are not merged again."""

    def __init__(self, jobs: dict[str, Mapping]) -> None:
        self.jobs = jobs
        self.done: dict[str, tuple[dict[str, Value] | None, int]] = {}

    def keys(self, job: str) -> dict[str, Value] | None:
        """None when GitLab refuses the chain: a cycle, or more than :data:`_MAX_HOPS` levels."""
        return self._resolve(job)[0]

    def _resolve(self, job: str) -> tuple[dict[str, Value] | None, int]:
        if job not in self.done:
            self.done[job] = (None, _MAX_HOPS + 1)  # met again while merging: a cycle
            self.done[job] = self._merge(job)
        return self.done[job]

    def _merge(self, job: str) -> tuple[dict[str, Value] | None, int]:
        body = self.jobs[job]
        merged: dict[str, Value] = {}
        levels = 0
        for parent in _names(get(body, "extends")):
            if parent not in self.jobs:  # in an included file: not known here
                continue
            keys, depth = self._resolve(parent)
            if keys is None or depth >= _MAX_HOPS:
                return None, _MAX_HOPS + 1
            merged = _entries(_deep_merge(merged, keys)) or {}
            levels = max(levels, depth + 1)
        return _entries(_deep_merge(merged, body)) or {}, levels


def _collect_gitlab(run: _Run, root: Node) -> None:
    if not isinstance(root, Mapping):
        return
    jobs = {name: node for name, node in pairs(root) if name not in GITLAB_RESERVED and isinstance(node, Mapping)}
    templates = _Extends(jobs)
    default = get(root, "default")
    variables = get(root, "variables")

    def dereference(value: Value | None) -> Value | None:
        """What ``!reference [job, key, ...]`` tags name; raises _Undecided when that is not in this file."""
        hops = 0
        while isinstance(value, Sequence) and value.tag == "!reference":
            path = _names(value)
            keys = templates.keys(path[0]) if path and path[0] in jobs else None
            if hops >= _MAX_HOPS or len(path) < 2 or len(path) != len(value.items) or keys is None:
                raise _Undecided
            value = keys
            for key in path[1:]:
                value = _lookup(value, key)
            if value is None:
                raise _Undecided
            hops += 1
        return value

    def effective(keys: dict[str, Value], key: str) -> Value | None:
        found = keys.get(key)
        if found is not None or key not in GITLAB_DEFAULTED:
            return found
        inherit = _lookup(keys.get("inherit"), "default")
        if (isinstance(inherit, Scalar) and inherit.value.lower() == "false") or (isinstance(inherit, Sequence) and key not in _names(inherit)):
            return None
        return get(default, key) if get(default, key) is not None else get(root, key)

    def variable(keys: dict[str, Value] | None, name: str) -> Value | None:
        """The job's own value (its templates' merged in), else the global one unless it does not inherit it."""
        found = _lookup(keys.get("variables"), name) if keys is not None else None
        if found is not None:
            return found
        inherit = _lookup(keys.get("inherit"), "variables") if keys is not None else None
        if (isinstance(inherit, Scalar) and inherit.value.lower() == "false") or (isinstance(inherit, Sequence) and name not in _names(inherit)):
            return None
        return get(variables, name)

    def image_site(keys: dict[str, Value] | None, image: Value | None) -> tuple[Scalar | None, Scalar | None]:
        """The image as the job names it, and where it is written (None: no python image to migrate);
        raises _Undecided."""
        image = dereference(image)
        if _entries(image) is not None:  # {name: ..., entrypoint: ...}
            image = dereference(_lookup(image, "name"))
            if image is None:  # the name is in a template of another file
                raise _Undecided
        if not is_str(image):
            return None, None
        whole = _WHOLE_VARIABLE.fullmatch(image.value)
        if whole:  # image: $PYTHON_IMAGE is fixed where the variable is set
            value = variable(keys, whole[1] or whole[2])
            value = _lookup(value, "value") if _entries(value) is not None else value
            return image, value if is_str(value) else None
        return image, image

    def sources(keys: dict[str, Value] | None, image: Scalar) -> list[_Source]:
        """The variables in an image name with the values this file gives them: a ``parallel: matrix:``
        sets them for the job, and a variable inside the name (not the whole of it) is not followed."""
        entries = _lookup(keys.get("parallel"), "matrix") if keys is not None else None
        found = []
        for match in _WHOLE_VARIABLE.finditer(image.value):
            name = match[1] or match[2]
            values: list[Node] = []
            for entry in entries.items if isinstance(entries, Sequence) else []:
                given = _lookup(entry, name)
                values.extend(given.items if isinstance(given, Sequence) else [given] if given is not None else [])
            whole = match[0] == image.value  # its variables value is followed already
            if not whole:
                value = variable(keys, name)
                if _entries(value) is not None:  # {value: ..., options: [...]}
                    options = _lookup(value, "options")
                    values.extend([_lookup(value, "value"), *(options.items if isinstance(options, Sequence) else [])])
                else:
                    values.append(value)
            kept = tuple(dict.fromkeys(v for v in values if isinstance(v, Scalar)))
            found.append(_Source(match[0], name, "parallel:matrix values" if whole else "variables", kept, match[0]))
        return found

    def shell_lines(node: Value | None, hops: int = 0) -> list[tuple[Scalar, Sequence | None]]:
        if isinstance(node, Scalar):
            return [(node, None)]
        if not isinstance(node, Sequence) or hops > _MAX_HOPS:
            return []
        if node.tag == "!reference":
            try:
                return shell_lines(dereference(node), hops + 1)
            except _Undecided:  # the lines are in another file
                return []
        found: list[tuple[Scalar, Sequence | None]] = []
        for item in node.items:
            if isinstance(item, Scalar):
                found.append((item, node))
            else:  # a list spliced in through an anchor
                found.extend(shell_lines(item, hops + 1))
        return found

    def user(job: str, keys: dict[str, Value] | None, image: Value | None, hidden: bool, service: bool = False) -> _User:
        try:
            written, site = image_site(keys, image)
        except _Undecided:
            return _User(job, None, None, hidden, undecided=True)
        codename = run.image(site)
        if written is not None and "$" in written.value and run.hidden(written, sources(keys, written), service):
            codename = None  # some of its runs are on an image that stays Alpine
        return _User(job, site, codename, hidden)

    def plan(image: Node | None) -> None:
        user("", None, image, True)

    def plan_service(image: Node | None) -> None:
        user("", None, image, True, service=True)

    for section in (default, root):  # images set for every job, even when no job here uses them
        plan(get(section, "image"))
        _gitlab_services(plan_service, get(section, "services"))
    for job, body in jobs.items():
        keys = templates.keys(job)
        hidden = job.startswith(".")
        runner = user(job, keys, effective(keys, "image"), hidden) if keys is not None else _User(job, None, None, hidden, undecided=True)
        _gitlab_services(plan_service, get(body, "services"))
        for key in GITLAB_SCRIPTS:
            for scalar, sequence in shell_lines(effective(keys if keys is not None else dict(pairs(body)), key)):
                run.runs(runner, scalar, sequence)
    # The default's scripts also run in jobs of included files, on the default image when it is migrated.
    everyone = user("default", None, get(default, "image") if get(default, "image") is not None else get(root, "image"), True)
    everyone = replace(everyone, hidden=everyone.codename is None)
    for section in (default, root):
        for key in ("before_script", "after_script"):
            for scalar, sequence in shell_lines(get(section, key)):
                run.runs(everyone, scalar, sequence)


def _gitlab_services(plan: Callable[[Node], None], services: Node | None) -> None:
    if isinstance(services, Sequence):
        for service in services.items:
            plan(service)


# --- GitHub Actions ---------------------------------------------------------------------------


def fix_github(text: str, settings: Settings) -> FileResult:
    """Migrate the python Alpine container images of a GitHub Actions workflow and its run steps."""
    return _result(text, settings, _collect_github)


def _shell(defaults: Node | None) -> Node | None:
    return get(get(defaults, "run"), "shell")


def _posix(shell: Node | None) -> bool:
    if shell is None:
        return True
    words = shell.value.split() if is_str(shell) else []
    return bool(words) and words[0] in _POSIX_SHELLS


def _matrix_values(strategy: Node | None, path: list[str]) -> list[Node]:
    """What ``matrix.<path>`` can be: the listed values and those of ``include:`` entries."""
    matrix = get(strategy, "matrix")
    listed = get(matrix, path[0])
    values = list(listed.items) if isinstance(listed, Sequence) else []
    includes = get(matrix, "include")
    for entry in includes.items if isinstance(includes, Sequence) else []:
        given = get(entry, path[0])
        values.extend([given] if given is not None else [])
    for key in path[1:]:  # matrix.config.image: a key of mapping values
        values = [found for value in values if (found := get(value, key)) is not None]
    return values


def _github_sources(root: Node, body: Node, image: str) -> list[_Source]:
    """The expressions in an image name with the values this file gives them: matrix values, the
    job's (else the workflow's) env, and the defaults of workflow inputs."""
    found = []
    for match in _GITHUB_EXPRESSION.finditer(image):
        path = _CONTEXT_PATH.fullmatch(match[1])
        parts = path[1].split(".") if path else []
        values: list[Node | None] = []
        kind = "expressions"
        if parts[0:1] == ["matrix"]:
            values, kind = list(_matrix_values(get(body, "strategy"), parts[1:])), "matrix values"
        elif parts[0:1] == ["env"] and len(parts) == 2:
            values, kind = [get(get(body, "env"), parts[1]) or get(get(root, "env"), parts[1])], "env values"
        elif parts[0:1] == ["inputs"] and len(parts) == 2:
            events = get(root, "on")
            values = [get(get(get(get(events, event), "inputs"), parts[1]), "default") for event in ("workflow_call", "workflow_dispatch")]
            kind = "input defaults"
        kept = tuple(dict.fromkeys(v for v in values if isinstance(v, Scalar)))
        found.append(_Source(match[0], path[1] if path else match[0], kind, kept, "0"))
    return found


def _collect_github(run: _Run, root: Node) -> None:
    workflow_shell = _shell(get(root, "defaults"))
    for job, body in pairs(get(root, "jobs")):
        container = get(body, "container")
        site = container if is_str(container) else get(container, "image")
        codename = run.image(site if is_str(site) else None)
        if is_str(site) and "${{" in site.value:
            run.hidden(site, _github_sources(root, body, site.value))
        for _name, service in pairs(get(body, "services")):
            image = get(service, "image")
            run.image(image if is_str(image) else None)
            if is_str(image) and "${{" in image.value:
                run.hidden(image, _github_sources(root, body, image.value), service=True)
        job_shell = _shell(get(body, "defaults")) or workflow_shell
        steps = get(body, "steps")
        for step in steps.items if isinstance(steps, Sequence) else []:
            script = get(step, "run")
            if _posix(get(step, "shell") or job_shell):
                run.runs(_User(job, site if is_str(site) else None, codename), script)
