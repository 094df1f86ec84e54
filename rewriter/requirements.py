"""Which Python requirements a Dockerfile installs, stage by stage.

Read from the RUN instructions of each stage (shell form, ``sh -c`` exec form and
shell heredocs):

- ``pip install`` (also ``pip3``, ``python -m pip``, ``uv pip install``, ``pip wheel``):
  requirement operands, ``-r``/``-c`` files (nested ``-r`` too) and local projects
  (``pip install .``, whose ``pyproject.toml`` dependencies count);
- ``poetry install`` (``pyproject.toml`` groups, pinned by ``poetry.lock``),
  ``uv sync`` (``pyproject.toml`` and dependency groups, pinned by ``uv.lock``),
  ``pipenv install``/``sync`` (``Pipfile.lock``, else ``Pipfile``).

A file named in a RUN is an in-image path: it is mapped back to the build context
(the Dockerfile's folder) through the stage's ``WORKDIR``, ``COPY``/``ADD`` and
``RUN --mount=type=bind``, as Docker would have put it there.  ARG and ENV values
known in the stage are substituted.  Whatever installs Python packages that the
tool cannot see (a name built at run time, a file not in the context, a file
made inside the image) is reported, never guessed; so is a local project that
is built from source.
"""

from __future__ import annotations

import fnmatch
import json
import posixpath
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

from packaging.requirements import InvalidRequirement, Requirement as PEP508
from packaging.utils import canonicalize_name

from .rules.shellview import HEREDOC_SHELL
from . import shell
from .dockerfile import Dockerfile, Instruction, logical_args
from .stages import Stage, global_args

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

MAX_NESTING = 16  # -r inside -r ...; deeper is a cycle

# pip options that take a value (as a separate word or after "="); the others are flags.
PIP_VALUE_OPTIONS = frozenset(
    "-r --requirement -c --constraint -e --editable -t --target --platform --python-version --implementation "
    "--abi --root --prefix --src -C --config-settings --global-option --build-option --install-option "
    "--no-binary --only-binary --progress-bar --root-user-action --report -i --index-url --extra-index-url "
    "-f --find-links --trusted-host --timeout --retries --proxy --cert --client-cert --cache-dir --log "
    "--exists-action --keyring-provider --use-feature --use-deprecated --python --resume-retries --group "
    "-w --wheel-dir -d --dest --upgrade-strategy".split()
)
_SHELLS = frozenset({"sh", "bash", "ash", "dash", "/bin/sh", "/bin/bash", "/bin/ash", "/usr/bin/env"})
_PIP = re.compile(r"^(?:.*/)?pip(?:[23](?:\.\d+)?)?$")
_PYTHON = re.compile(r"^(?:.*/)?python(?:[23](?:\.\d+)?)?$")
_VAR = re.compile(r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-+=?])?(?P<word>[^}]*)\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))")
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://|^(git|hg|svn|bzr)\+", re.IGNORECASE)
_ARCHIVE = re.compile(r"\.(whl|tar\.gz|tgz|tar\.bz2|zip)$")
_POETRY_CARET = re.compile(r"^\^\s*(\d+(?:\.\d+)*)$")
_POETRY_TILDE = re.compile(r"^~\s*(\d+(?:\.\d+)*)$")


@dataclass(frozen=True)
class Requirement:
    """One thing a stage asks pip (or an installer) for."""

    text: str  # as written
    name: str | None  # canonical project name; None when only a URL or path says what it is
    display: str  # the name as written
    specifier: str  # PEP 440 specifiers, "" = any version
    extras: tuple[str, ...]
    marker: str | None  # PEP 508 environment marker, evaluated later for the image
    origin: str  # where it is written: "line 7", "requirements.txt:3", "poetry.lock"
    line: int  # the Dockerfile line of the instruction that installs it
    url: str | None = None  # a direct URL, VCS link or local path: not looked up on PyPI

    @property
    def problem(self) -> str | None:
        if self.url is None:
            return None
        if re.match(r"^(git|hg|svn|bzr)\+", self.url):
            return "VCS link: not checked"
        if "://" in self.url:
            return "direct URL: not checked"
        return "local file: not checked"


@dataclass(frozen=True)
class Note:
    line: int  # Dockerfile line
    message: str


@dataclass
class StageRequirements:
    """What one stage installs (its own RUNs only; a child stage has its own entry)."""

    requirements: list[Requirement] = field(default_factory=list)
    constraints: list[Requirement] = field(default_factory=list)  # -c files and lock-file pins
    unseen: list[Note] = field(default_factory=list)  # installs the tool cannot see
    source_builds: list[Note] = field(default_factory=list)  # local projects pip builds from source
    notes: list[Note] = field(default_factory=list)  # worth knowing, changes nothing (another index ...)


# --- requirement strings and files --------------------------------------------------------------


def parse_requirement(text: str, origin: str, line: int) -> Requirement | None:
    """A requirement as pip reads it on a command line or in a file; None when it is not one."""
    text = text.strip()
    if not text:
        return None
    if _URL.match(text) or (_ARCHIVE.search(text) and " @ " not in text) or _is_path(text):
        egg = re.search(r"#egg=([A-Za-z0-9._-]+)", text)
        name = canonicalize_name(egg[1]) if egg else None
        return Requirement(text, name, egg[1] if egg else text, "", (), None, origin, line, url=text)
    try:
        parsed = PEP508(text)
    except InvalidRequirement:
        return None
    marker = str(parsed.marker) if parsed.marker else None
    extras = tuple(sorted(parsed.extras))
    return Requirement(text, canonicalize_name(parsed.name), parsed.name, str(parsed.specifier), extras, marker, origin, line, url=parsed.url)


def _is_path(text: str) -> bool:
    return text.startswith((".", "/", "~")) or ("/" in text and "@" not in text and ";" not in text)


def _is_local_dir(text: str) -> bool:
    """``.``, ``./src``, ``/app[extra]``: a project folder pip builds (not a URL or an archive)."""
    return not _URL.match(text) and not _ARCHIVE.search(text) and _is_path(text)


@dataclass
class _Found:
    """What reading a requirements file (and the files it names) gave."""

    requirements: list[Requirement] = field(default_factory=list)
    constraints: list[Requirement] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    local: list[str] = field(default_factory=list)  # editable/local paths in the file
    notes: list[str] = field(default_factory=list)


def _logical_lines(text: str) -> Iterable[tuple[int, str]]:
    """(1-based number, text) of each requirement line: continuations joined, comments removed."""
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
        if raw.endswith("\\"):
            pending += raw[:-1]
            continue
        whole = re.sub(r"(^|\s)#.*$", "", pending + raw).strip()
        pending = ""
        if whole:
            yield start, whole


def read_requirements_file(context: Path, path: str, line: int, constraint: bool = False, seen: tuple[str, ...] = ()) -> _Found:
    """Read ``path`` (relative to ``context``) as pip would; ``constraint`` for a ``-c`` file."""
    found = _Found()
    if path in seen or len(seen) > MAX_NESTING:
        found.problems.append(f"{path}: includes itself")
        return found
    text = _read(context / path)
    if text is None:
        found.problems.append(f"{path}: not found in the build context")
        return found
    folder = posixpath.dirname(path)
    for number, entry in _logical_lines(text):
        origin = f"{path}:{number}"
        words = entry.split()
        option, value = _split_option(words)
        if option in ("-r", "--requirement", "-c", "--constraint"):
            nested = posixpath.normpath(posixpath.join(folder, value)) if value else ""
            inner = read_requirements_file(context, nested, line, constraint or option in ("-c", "--constraint"), (*seen, path))
            found.requirements += inner.requirements
            found.constraints += inner.constraints
            found.problems += inner.problems
            found.local += inner.local
            found.notes += inner.notes
            continue
        if option in ("-e", "--editable"):
            if value and _is_local_dir(value):
                found.local.append(posixpath.normpath(posixpath.join(folder, value)))
                continue
            entry = value or ""
        elif option is not None:
            if option in ("-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--no-binary"):
                found.notes.append(f"{origin}: {option} {value}")
            continue
        requirement = parse_requirement(_strip_line_options(entry), origin, line)
        if "$" in entry:
            found.problems.append(f"{origin}: `{entry}` uses an environment variable")
        elif requirement is None:
            found.problems.append(f"{origin}: `{entry}` is not a requirement dockerfix can read")
        else:
            (found.constraints if constraint else found.requirements).append(requirement)
    return found


def _split_option(words: list[str]) -> tuple[str | None, str]:
    """(option, value) when a requirements-file line is an option line."""
    first = words[0]
    if not first.startswith("-"):
        return None, ""
    name, eq, value = first.partition("=")
    if eq:
        return name, value
    for short in ("-r", "-c", "-e", "-i", "-f"):
        if first.startswith(short) and len(first) > 2 and not first.startswith("--"):
            return short, first[2:]
    return first, words[1] if len(words) > 1 else ""


def _strip_line_options(entry: str) -> str:
    """A requirement without its per-line options (``--hash=...``, ``--config-settings ...``)."""
    return re.split(r"\s+--?[a-zA-Z]", entry, maxsplit=1)[0]


def _read(path: Path) -> str | None:
    try:
        return path.read_text("utf-8", errors="replace") if path.is_file() else None
    except OSError:
        return None


def _toml(path: Path) -> dict | None:
    text = _read(path)
    if text is None:
        return None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None


# --- project manifests and lock files -----------------------------------------------------------


def poetry_constraint(value: str) -> str:
    """A Poetry version constraint as PEP 440 specifiers ("" when it allows any version or is not understood)."""
    parts = []
    for piece in value.split(","):
        piece = piece.strip()
        caret, tilde = _POETRY_CARET.match(piece), _POETRY_TILDE.match(piece)
        if piece in ("", "*"):
            continue
        if "||" in piece:
            return ""
        if caret or tilde:
            numbers = [int(n) for n in (caret or tilde)[1].split(".")]
            if caret:
                first = next((i for i, n in enumerate(numbers) if n), len(numbers) - 1)
                upper = numbers[: first + 1]
            else:
                upper = numbers[:2] if len(numbers) > 1 else numbers[:1]
            upper[-1] += 1
            parts += [f">={'.'.join(map(str, numbers))}", f"<{'.'.join(map(str, upper))}"]
        elif re.match(r"^\d", piece):
            parts.append(f"=={piece}")
        else:
            parts.append(piece.replace(" ", ""))
    return ",".join(parts)


def _poetry_dependency(name: str, value, origin: str, line: int) -> Requirement | None:
    if canonicalize_name(name) == "python":
        return None
    if isinstance(value, list):  # multiple-constraints form: take the first that applies, i.e. any
        value = value[0] if value else "*"
    if isinstance(value, str):
        value = {"version": value}
    if any(k in value for k in ("git", "path", "url")):
        where = f"git+{value['git']}" if "git" in value else str(value.get("path") or value.get("url"))
        return Requirement(f"{name} = {where}", canonicalize_name(name), name, "", (), None, origin, line, url=where)
    extras = tuple(sorted(value.get("extras", ())))
    marker = value.get("markers")
    return Requirement(f"{name} {value.get('version', '*')}", canonicalize_name(name), name, poetry_constraint(str(value.get("version", "*"))), extras, marker, origin, line)


def project_dependencies(pyproject: dict, origin: str, line: int, extras: Iterable[str] = (), groups: Iterable[str] = ()) -> list[Requirement]:
    """Runtime dependencies of a project (PEP 621 or Poetry), plus the named extras and dependency groups."""
    found: list[Requirement] = []
    project = pyproject.get("project", {})
    poetry = pyproject.get("tool", {}).get("poetry", {})
    for text in project.get("dependencies", ()):
        found.append(parse_requirement(text, origin, line))
    for extra in extras:
        for text in project.get("optional-dependencies", {}).get(extra, ()):
            found.append(parse_requirement(text, origin, line))
    for group in groups:
        for text in pyproject.get("dependency-groups", {}).get(group, ()):
            if isinstance(text, str):
                found.append(parse_requirement(text, origin, line))
        if group == "dev":
            for text in pyproject.get("tool", {}).get("uv", {}).get("dev-dependencies", ()):
                found.append(parse_requirement(text, origin, line))
    if not project.get("dependencies"):
        for name, value in poetry.get("dependencies", {}).items():
            dep = _poetry_dependency(name, value, origin, line)
            if dep and not (isinstance(value, dict) and value.get("optional") and not set(value.get("extras", ())) & set(extras)):
                found.append(dep)
    for group in groups:
        table = poetry.get("group", {}).get(group, {}).get("dependencies", {})
        if group == "dev" and not table:
            table = poetry.get("dev-dependencies", {})
        for name, value in table.items():
            dep = _poetry_dependency(name, value, origin, line)
            if dep:
                found.append(dep)
    return [r for r in found if r is not None]


def poetry_groups(pyproject: dict, args: list[str]) -> list[str]:
    """Dependency groups ``poetry install ARGS`` installs besides the main one."""
    declared = pyproject.get("tool", {}).get("poetry", {}).get("group", {})
    groups = {g for g, table in declared.items() if not table.get("optional")}
    if pyproject.get("tool", {}).get("poetry", {}).get("dev-dependencies"):
        groups.add("dev")
    values = _option_values(args, ("--with", "--without", "--only"))
    groups |= set(values["--with"])
    groups -= set(values["--without"])
    if "--no-dev" in args:
        groups.discard("dev")
    if values["--only"]:
        groups = set(values["--only"]) - {"main"}
    return sorted(groups)


def _option_values(args: list[str], names: tuple[str, ...]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {n: [] for n in names}
    for i, arg in enumerate(args):
        name, eq, value = arg.partition("=")
        if name in names:
            value = value if eq else (args[i + 1] if i + 1 < len(args) else "")
            found[name] += [v.strip() for v in value.split(",") if v.strip()]
    return found


def lock_pins(path: Path, origin: str, line: int) -> list[Requirement] | None:
    """``name==version`` for every registry package of a poetry.lock or uv.lock."""
    data = _toml(path)
    if data is None:
        return None
    pins = []
    for package in data.get("package", ()):
        source = package.get("source", {})
        if path.name == "uv.lock" and "registry" not in source:
            continue  # the project itself, git and path sources
        if path.name == "poetry.lock" and source.get("type") in ("git", "directory", "file", "url"):
            continue
        name, version = package.get("name"), package.get("version")
        if name and version:
            pins.append(Requirement(f"{name}=={version}", canonicalize_name(name), name, f"=={version}", (), None, origin, line))
    return pins


def pipfile_lock_requirements(path: Path, origin: str, line: int, dev: bool) -> list[Requirement] | None:
    text = _read(path)
    try:
        data = json.loads(text) if text is not None else None
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    found = []
    for section in ("default", "develop") if dev else ("default",):
        for name, entry in data.get(section, {}).items():
            if not isinstance(entry, dict):
                continue
            url = entry.get("git") or entry.get("path") or entry.get("file")
            version = str(entry.get("version", ""))
            found.append(Requirement(f"{name}{version}", canonicalize_name(name), name, version if version.startswith("==") else "", tuple(entry.get("extras", ())), entry.get("markers"), origin, line, url=url))
    return found


# --- the image: where files come from ------------------------------------------------------------


@dataclass(frozen=True)
class _Copy:
    sources: tuple[str, ...]  # context paths ("." for the whole context)
    dest: str  # absolute in-image path
    into_dir: bool  # dest is a folder: sources land at dest/<basename>


@dataclass
class _Image:
    """What a stage has built so far, as far as requirement files go."""

    workdir: str = "/"
    variables: dict[str, str] = field(default_factory=dict)
    copies: list[_Copy] = field(default_factory=list)

    def child(self) -> "_Image":
        return _Image(self.workdir, dict(self.variables), list(self.copies))

    def path(self, path: str, cwd: str | None = None) -> str:
        return posixpath.normpath(posixpath.join(cwd or self.workdir, path))

    def source_of(self, image_path: str, context: Path | None, extra: Iterable[_Copy] = ()) -> str | None:
        """The build-context path that ended up at ``image_path``; None when it did not come from the context."""
        for copy in [*extra, *reversed(self.copies)]:
            for src in copy.sources:
                found = _mapped(copy, src, image_path, context)
                if found is not None:
                    return found
        return None


def _mapped(copy: _Copy, src: str, image_path: str, context: Path | None) -> str | None:
    dest = copy.dest.rstrip("/") or "/"
    whole_dir = src in (".", "") or src.endswith("/") or (context is not None and (context / src).is_dir())
    if whole_dir:
        if image_path == dest:
            return posixpath.normpath(src)
        prefix = dest if dest.endswith("/") else dest + "/"
        return posixpath.normpath(posixpath.join(src, image_path[len(prefix) :])) if image_path.startswith(prefix) else None
    name = posixpath.basename(image_path)
    if any(c in src for c in "*?["):
        if posixpath.dirname(image_path) == dest and fnmatch.fnmatchcase(name, posixpath.basename(src)):
            return posixpath.normpath(posixpath.join(posixpath.dirname(src), name))
        return None
    if image_path == posixpath.join(dest, posixpath.basename(src)):
        return posixpath.normpath(src)
    if not copy.into_dir and image_path == dest:  # COPY a.txt /app/b.txt, or into an existing folder: either way
        return posixpath.normpath(src)
    return None


def _expand(text: str, variables: Mapping[str, str]) -> str | None:
    """``$X``, ``${X}``, ``${X:-d}`` with known values; None when something is unknown."""
    unknown = False

    def value(match: re.Match[str]) -> str:
        nonlocal unknown
        name = match["braced"] or match["bare"]
        op, word = match["op"] or "", match["word"] or ""
        known = variables.get(name)
        if op in (":-", "-"):
            return known if known or (op == "-" and known is not None) else word
        if op in (":+", "+"):
            return word if known else ""
        if known is None or op or word:
            unknown = True
            return ""
        return known

    expanded = _VAR.sub(value, text)
    return None if unknown or "$" in expanded or "`" in expanded else expanded


def _word_value(word: shell.Word, variables: Mapping[str, str]) -> str | None:
    if word.value is not None:
        return word.value
    expanded = _expand(word.raw, variables)
    if expanded is None:
        return None
    try:
        parts = shlex.split(expanded)
    except ValueError:
        return None
    return parts[0] if len(parts) == 1 else None


def _instruction_words(df: Dockerfile, ins: Instruction, variables: Mapping[str, str]) -> list[str] | None:
    """Arguments of COPY/ADD/WORKDIR/ENV/ARG with variables expanded; None when one is unknown."""
    logical = logical_args(df, ins).text
    if ins.is_json:
        try:
            return [str(v) for v in json.loads(logical)]
        except ValueError:
            return None
    words = []
    for raw in logical.split():
        expanded = _expand(raw, variables)
        if expanded is None:
            return None
        words.append(expanded.strip("\"'"))
    return words


def _assignments(df: Dockerfile, ins: Instruction) -> list[tuple[str, str | None]]:
    """NAME=value pairs of an ARG or ENV (the legacy ``ENV NAME value`` form too)."""
    text = logical_args(df, ins).text.strip()
    if not text:
        return []
    if ins.keyword == "ENV" and "=" not in text.split(None, 1)[0]:
        name, _, value = text.partition(" ")
        return [(name, value.strip().strip("\"'"))]
    try:
        words = shlex.split(text)
    except ValueError:
        return []
    return [(w.partition("=")[0], w.partition("=")[2] if "=" in w else None) for w in words]


# --- stages --------------------------------------------------------------------------------------


def find(df: Dockerfile, stages: tuple[Stage, ...], context: Path | None) -> dict[int, StageRequirements]:
    """Stage index -> what its RUN instructions install.  ``context``: the build context (None: unknown)."""
    globals_ = {name: arg.value.text for name, arg in global_args(df).items() if arg.value}
    images: dict[int, _Image] = {}
    found: dict[int, StageRequirements] = {}
    for stage in stages:
        image = images[stage.parent].child() if stage.parent is not None else _Image()
        result = StageRequirements()
        for ins in stage.instructions:
            _instruction(df, ins, image, globals_, context, result)
        images[stage.index] = image
        for notes in (result.unseen, result.source_builds, result.notes):
            notes[:] = dict.fromkeys(notes)  # both branches of an if name the same file
        found[stage.index] = result
    return found


def _instruction(df: Dockerfile, ins: Instruction, image: _Image, globals_: Mapping[str, str], context: Path | None, out: StageRequirements) -> None:
    if ins.keyword in ("ARG", "ENV"):
        for name, value in _assignments(df, ins):
            if value is None:
                value = image.variables.get(name, globals_.get(name)) if ins.keyword == "ARG" else None
            if value is not None:
                value = _expand(value, image.variables) if "$" in value else value
            if value is None:
                image.variables.pop(name, None)
            else:
                image.variables[name] = value
    elif ins.keyword == "WORKDIR":
        words = _instruction_words(df, ins, image.variables)
        if words:
            image.workdir = image.path(" ".join(words))
    elif ins.keyword in ("COPY", "ADD"):
        _copy(df, ins, image)
    elif ins.keyword == "RUN":
        _run(df, ins, image, context, out)


def _copy(df: Dockerfile, ins: Instruction, image: _Image) -> None:
    if any(f.name == "from" for f in ins.flags) or ins.heredocs:
        return
    words = _instruction_words(df, ins, image.variables)
    if not words or len(words) < 2:
        return
    *sources, dest = words
    sources = [s for s in sources if "://" not in s and not s.startswith("git@")]
    if not sources:
        return
    into_dir = dest.endswith("/") or dest in (".", "./") or len(sources) > 1 or any(c in s for s in sources for c in "*?[")
    clean = tuple(_context_path(s) for s in sources)
    image.copies.append(_Copy(clean, image.path(dest), into_dir))


def _context_path(source: str) -> str:
    """A COPY source as a context path; a trailing "/" (a folder) is kept."""
    path = posixpath.normpath(source.lstrip("/") or ".")
    return path + "/" if source.endswith("/") and path != "." else path


def _mounts(ins: Instruction, image: _Image) -> list[_Copy]:
    """``RUN --mount=type=bind,source=X,target=Y``: context files seen only during that RUN."""
    found = []
    for flag in ins.flags:
        if flag.name != "mount" or not flag.value:
            continue
        fields = dict(part.partition("=")[::2] for part in flag.value.split(","))
        if fields.get("type", "bind") != "bind" or "from" in fields:
            continue
        source = fields.get("source", fields.get("src", "."))
        target = fields.get("target", fields.get("dst", fields.get("destination")))
        if target:
            found.append(_Copy((_context_path(source),), image.path(target), False))
    return found


def run_scripts(df: Dockerfile, ins: Instruction) -> list[str] | None:
    """The shell text(s) a RUN executes; None when the tool cannot read it."""
    logical = logical_args(df, ins).text
    if ins.is_json:
        try:
            argv = [str(v) for v in json.loads(logical)]
        except ValueError:
            return None
        if len(argv) >= 3 and argv[0] in _SHELLS and argv[1].startswith("-") and "c" in argv[1]:
            return [argv[2]]
        return [" ".join(shlex.quote(a) for a in argv)]
    if not ins.heredocs:
        return [logical]
    if HEREDOC_SHELL.match(logical) and len(ins.heredocs) == 1:
        body = ins.heredocs[0]
        return [df.text[body.body_start : body.body_end]]
    return None


def _run(df: Dockerfile, ins: Instruction, image: _Image, context: Path | None, out: StageRequirements) -> None:
    scripts = run_scripts(df, ins)
    text = df.text[ins.start : ins.end]
    if scripts is None:
        if re.search(r"\b(pip3?|poetry|uv|pipenv)\b", text):
            out.unseen.append(Note(ins.line, "this RUN's heredoc goes to a program, not a shell: what it installs is not read"))
        return
    mounts = _mounts(ins, image)
    for script in scripts:
        try:
            parsed = shell.parse(script)
        except shell.ShellSyntaxError:
            if re.search(r"\b(pip3?|poetry|uv|pipenv)\b", script):
                out.unseen.append(Note(ins.line, "this RUN could not be read as shell: what it installs is not read"))
            continue
        cwd = image.workdir
        for command in parsed.commands:
            argv = [_word_value(w, image.variables) for w in command.words]
            if not argv:
                continue
            if argv[0] == "cd" and len(argv) == 2 and argv[1]:
                cwd = image.path(argv[1], cwd)
                continue
            _command(argv, [w.raw for w in command.words], _Where(ins.line, cwd, image, context, mounts), out)


@dataclass(frozen=True)
class _Where:
    """Where a command runs: its Dockerfile line, the current folder and the files it can see."""

    line: int
    cwd: str
    image: _Image
    context: Path | None
    mounts: list[_Copy]

    def context_path(self, path: str) -> tuple[str | None, str]:
        """(context path or None, why not) of a path as a command in the image names it."""
        in_image = self.image.path(path, self.cwd)
        source = self.image.source_of(in_image, self.context, self.mounts)
        if source is None:
            return None, f"{in_image} was not copied from the build context"
        if self.context is None:
            return None, "the build context is not known"
        return source, ""


def _command(argv: list[str | None], raw: list[str], where: _Where, out: StageRequirements) -> None:
    head = argv[0] or ""
    if _PIP.match(head):
        _pip(argv[1:], raw[1:], where, out)
    elif _PYTHON.match(head) and argv[1:3] == ["-m", "pip"]:
        _pip(argv[3:], raw[3:], where, out)
    elif head == "uv" and argv[1:2] == ["pip"]:
        _pip(argv[2:], raw[2:], where, out)
    elif head == "uv" and argv[1:2] == ["sync"]:
        _uv_sync(argv[2:], where, out)
    elif head == "poetry" and argv[1:2] == ["install"]:
        _poetry_install(argv[2:], where, out)
    elif head == "pipenv" and argv[1:2] in (["install"], ["sync"]):
        _pipenv(argv[2:], raw[2:], where, out)


def _pip(args: list[str | None], raw: list[str], where: _Where, out: StageRequirements) -> None:
    i = 0
    while i < len(args) and args[i] is not None and args[i].startswith("-"):  # global options before the command
        i += 2 if args[i] in PIP_VALUE_OPTIONS and "=" not in args[i] else 1
    if i >= len(args) or args[i] not in ("install", "wheel", "sync"):
        return
    subcommand = args[i]
    origin = f"line {where.line}"
    i += 1
    while i < len(args):
        arg, shown = args[i], raw[i]
        i += 1
        if arg is None:
            out.unseen.append(Note(where.line, f"pip {subcommand} `{shown}`: decided at build time, not read"))
            continue
        if subcommand == "sync" or not arg.startswith("-"):
            if subcommand == "sync":
                _requirements_file(arg, False, where, out)
            else:
                _operand(arg, origin, where, out)
            continue
        name, eq, value = arg.partition("=")
        short = name[:2] if not name.startswith("--") and len(name) > 2 and name[:2] in ("-r", "-c", "-e", "-i", "-f") else None
        if short:
            name, value, eq = short, arg[2:], "="
        if name in PIP_VALUE_OPTIONS and not eq:
            if i >= len(args) or args[i] is None:
                out.unseen.append(Note(where.line, f"pip {name} `{raw[i] if i < len(raw) else ''}`: decided at build time, not read"))
                i += 1
                continue
            value = args[i]
            i += 1
        if name in ("-r", "--requirement", "-c", "--constraint"):
            _requirements_file(value, name in ("-c", "--constraint"), where, out)
        elif name in ("-e", "--editable"):
            _operand(value, origin, where, out)
        elif name in ("-i", "--index-url", "--extra-index-url", "-f", "--find-links"):
            out.notes.append(Note(where.line, f"pip {name} {value}: wheel availability is still checked on PyPI"))
        elif name == "--no-binary" and value != ":none:":
            out.unseen.append(Note(where.line, f"pip --no-binary {value}: these are compiled from source whatever wheels exist"))


def _operand(arg: str, origin: str, where: _Where, out: StageRequirements) -> None:
    requirement = parse_requirement(arg, origin, where.line)
    if requirement is None:
        out.unseen.append(Note(where.line, f"`{arg}` is not a requirement dockerfix can read"))
        return
    if _is_local_dir(arg):
        _local_project(arg, where, out)
        return
    out.requirements.append(requirement)


def _local_project(path: str, where: _Where, out: StageRequirements) -> None:
    """``pip install .``: the project is built from source; its declared dependencies are installed."""
    bare = re.sub(r"\[.*\]$", "", path)
    match = re.search(r"\[(.*)\]$", path)
    extras = tuple(e.strip() for e in match[1].split(",")) if match else ()
    folder, why = where.context_path(bare)
    shown = where.image.path(bare, where.cwd)
    out.source_builds.append(Note(where.line, f"the local project {shown} is built from source"))
    if folder is None:
        out.unseen.append(Note(where.line, f"local project {shown}: {why}"))
        return
    pyproject = _toml(where.context / folder / "pyproject.toml") if where.context else None
    if pyproject is None or not (pyproject.get("project", {}).get("dependencies") or pyproject.get("tool", {}).get("poetry", {}).get("dependencies")):
        if where.context and any((where.context / folder / f).is_file() for f in ("setup.py", "setup.cfg")):
            out.unseen.append(Note(where.line, f"local project {shown}: dependencies in setup.py/setup.cfg are not read"))
        elif pyproject is None:
            out.unseen.append(Note(where.line, f"local project {shown}: no pyproject.toml in {folder}"))
        return
    out.requirements += project_dependencies(pyproject, posixpath.join(folder, "pyproject.toml"), where.line, extras)


def _requirements_file(path: str, constraint: bool, where: _Where, out: StageRequirements) -> None:
    source, why = where.context_path(path)
    if source is None:
        out.unseen.append(Note(where.line, f"requirements file {path}: {why}"))
        return
    found = read_requirements_file(where.context, source, where.line, constraint)
    out.requirements += found.requirements
    out.constraints += found.constraints
    out.unseen += [Note(where.line, problem) for problem in found.problems]
    out.notes += [Note(where.line, note) for note in found.notes]
    for local in found.local:
        _local_project_in_context(local, where, out)


def _local_project_in_context(folder: str, where: _Where, out: StageRequirements) -> None:
    """An ``-e ./pkg`` line of a requirements file: a context folder, not an in-image path."""
    out.source_builds.append(Note(where.line, f"the local project {folder} is built from source"))
    pyproject = _toml(where.context / folder / "pyproject.toml") if where.context else None
    if pyproject is None:
        out.unseen.append(Note(where.line, f"local project {folder}: its dependencies are not read (no pyproject.toml)"))
        return
    out.requirements += project_dependencies(pyproject, posixpath.join(folder, "pyproject.toml"), where.line)


def _project_files(where: _Where, *names: str) -> tuple[dict[str, Path | None], str]:
    """Context paths of files an installer reads from its working folder (None: not readable),
    and why none of them can be read."""
    found: dict[str, Path | None] = {}
    reasons = []
    for name in names:
        source, why = where.context_path(name)
        path = where.context / source if source is not None and where.context else None
        if path is not None and not path.is_file():
            path, why = None, f"{source}: not found in the build context"
        found[name] = path
        reasons.append(why)
    return found, "; ".join(dict.fromkeys(reasons))


def _poetry_install(args: list[str | None], where: _Where, out: StageRequirements) -> None:
    flags = [a for a in args if a is not None]
    files, why = _project_files(where, "pyproject.toml", "poetry.lock")
    pyproject = _toml(files["pyproject.toml"]) if files["pyproject.toml"] else None
    pins = lock_pins(files["poetry.lock"], "poetry.lock", where.line) if files["poetry.lock"] else None
    if pyproject is None and pins is None:
        out.unseen.append(Note(where.line, f"poetry install: {why}"))
        return
    if pyproject is None:
        out.requirements += pins or []
        out.notes.append(Note(where.line, "poetry install: pyproject.toml not seen; every package of poetry.lock counts"))
        return
    extras = _option_values(flags, ("-E", "--extras"))
    wanted = extras["-E"] + extras["--extras"]
    if "--all-extras" in flags:
        wanted = list(pyproject.get("tool", {}).get("poetry", {}).get("extras", {}) or pyproject.get("project", {}).get("optional-dependencies", {}))
    groups = poetry_groups(pyproject, flags)
    out.requirements += project_dependencies(pyproject, "pyproject.toml", where.line, wanted, groups)
    out.constraints += pins or []
    if pins is None:
        out.notes.append(Note(where.line, "poetry install without poetry.lock: versions are the newest allowed"))


def _uv_sync(args: list[str | None], where: _Where, out: StageRequirements) -> None:
    flags = [a for a in args if a is not None]
    files, why = _project_files(where, "pyproject.toml", "uv.lock")
    pyproject = _toml(files["pyproject.toml"]) if files["pyproject.toml"] else None
    pins = lock_pins(files["uv.lock"], "uv.lock", where.line) if files["uv.lock"] else None
    if pyproject is None:
        if pins is None:
            out.unseen.append(Note(where.line, f"uv sync: {why}"))
            return
        out.requirements += pins
        out.notes.append(Note(where.line, "uv sync: pyproject.toml not seen; every package of uv.lock counts"))
        return
    values = _option_values(flags, ("--extra", "--group", "--only-group"))
    extras = values["--extra"] or (list(pyproject.get("project", {}).get("optional-dependencies", {})) if "--all-extras" in flags else [])
    groups = {"dev"} if "--no-dev" not in flags and "--no-default-groups" not in flags else set()
    groups |= set(values["--group"])
    if "--all-groups" in flags:
        groups |= set(pyproject.get("dependency-groups", {}))
    if values["--only-group"] or "--only-dev" in flags:
        groups = set(values["--only-group"]) | ({"dev"} if "--only-dev" in flags else set())
        out.requirements += project_dependencies({"dependency-groups": pyproject.get("dependency-groups", {}), "tool": {"uv": pyproject.get("tool", {}).get("uv", {})}}, "pyproject.toml", where.line, (), sorted(groups))
    else:
        out.requirements += project_dependencies(pyproject, "pyproject.toml", where.line, extras, sorted(groups))
    out.constraints += pins or []


def _pipenv(args: list[str | None], raw: list[str], where: _Where, out: StageRequirements) -> None:
    flags = [a for a in args if a is not None and a.startswith("-")]
    dev = "--dev" in flags or "-d" in flags
    for arg, shown in zip(args, raw):
        if arg is None:
            out.unseen.append(Note(where.line, f"pipenv `{shown}`: decided at build time, not read"))
        elif not arg.startswith("-"):
            _operand(arg, f"line {where.line}", where, out)
    files, why = _project_files(where, "Pipfile.lock", "Pipfile")
    locked = pipfile_lock_requirements(files["Pipfile.lock"], "Pipfile.lock", where.line, dev) if files["Pipfile.lock"] else None
    if locked is not None:
        out.requirements += locked
        return
    pipfile = _toml(files["Pipfile"]) if files["Pipfile"] else None
    if pipfile is None:
        out.unseen.append(Note(where.line, f"pipenv: {why}"))
        return
    for section in ("packages", "dev-packages") if dev else ("packages",):
        for name, value in pipfile.get(section, {}).items():
            spec = value if isinstance(value, str) else value.get("version", "*") if isinstance(value, dict) else "*"
            req = parse_requirement(name + ("" if spec == "*" else spec), "Pipfile", where.line)
            if req is not None:
                out.requirements.append(req)
