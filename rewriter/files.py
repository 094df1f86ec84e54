"""Which files dockerfix reads, and as what kind."""

from __future__ import annotations

import fnmatch
from functools import lru_cache
import os
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Sequence

from .findings import Finding

DOCKERFILE = "dockerfile"
COMPOSE = "compose"
GITLAB_CI = "gitlab-ci"
GITHUB_ACTIONS = "github-actions"
PYTHON = "python"
KINDS = (DOCKERFILE, COMPOSE, GITLAB_CI, GITHUB_ACTIONS, PYTHON)

# kind -> "module:function" (relative to the package) taking (text, settings) -> FileResult;
# the Dockerfile pipeline lives in api.py itself.
HANDLERS: dict[str, str] = {}
HANDLERS[PYTHON] = ".pysource:fix"
HANDLERS[COMPOSE] = ".compose:fix"
HANDLERS[GITLAB_CI] = ".ci:fix_gitlab"
HANDLERS[GITHUB_ACTIONS] = ".ci:fix_github"

# Folders never walked into (a folder named on the command line is still walked): version control,
# virtualenvs and caches, other people's code.  Any folder holding a pyvenv.cfg is a virtualenv too.
SKIPPED_DIRS = frozenset(
    {".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "node_modules", "__pycache__",
     ".mypy_cache", ".pytest_cache", ".ruff_cache", ".eggs", "site-packages", "vendor", "_vendor",
     "third_party"}
)


def kind_of(path: str) -> str | None:
    """The kind of file a name says it is, or None when dockerfix does not read it."""
    name = os.path.basename(path)
    lower = name.lower()
    if lower.endswith(".py"):  # before the Dockerfile names: dockerfile.py is Python code
        return PYTHON
    if lower in ("dockerfile", "containerfile") or lower.startswith(("dockerfile.", "containerfile.")):
        return DOCKERFILE
    if lower.endswith((".dockerfile", ".containerfile")):
        return DOCKERFILE
    if lower.endswith((".yml", ".yaml")):
        folders = os.path.normpath(path).split(os.sep)[-3:-1]
        if folders == [".github", "workflows"]:
            return GITHUB_ACTIONS
        if lower.endswith((".gitlab-ci.yml", ".gitlab-ci.yaml")):  # .gitlab-ci.yml and included *.gitlab-ci.yml
            return GITLAB_CI
        if re.match(r"(docker-)?compose[._-]", lower):  # docker-compose.dev.yml, compose.override.yaml (not composer.yml)
            return COMPOSE
        if lower.endswith((".compose.yml", ".compose.yaml", "-compose.yml", "-compose.yaml")):  # app.compose.yml
            return COMPOSE
    return None


# --- discovery: which files a run reads --------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One file to process: the path to read (and write), and the kind it is read as."""

    path: str
    kind: str
    notes: tuple[Finding, ...] = ()  # findings about the file that come from elsewhere (compose links)


@dataclass(frozen=True)
class Pattern:
    """One pattern in .gitignore syntax; it applies to paths below the folder ``base`` (absolute)."""

    base: str
    glob: Glob
    negate: bool = False
    dir_only: bool = False

    def matches(self, path: str, is_dir: bool) -> bool:
        """Does the pattern match the absolute ``path`` itself (not a folder above it)?"""
        if self.dir_only and not is_dir:
            return False
        relative = _relative(path, self.base)
        return relative is not None and self.glob.matches(relative)


@dataclass(frozen=True)
class Selection:
    """The user's say in what a folder walk takes: excludes, includes (both .gitignore syntax), kinds."""

    exclude: tuple[Pattern, ...] = ()
    include: tuple[Pattern, ...] = ()  # unusual file names, read as Dockerfiles
    kinds: frozenset[str] | None = None  # None: every kind


@dataclass(frozen=True)
class Scope:
    """Where a run may reach beyond the files it found: a Dockerfile a Compose file builds is processed
    (and, with --write, rewritten) only inside the paths given, and not when an exclude pattern matches it."""

    roots: tuple[str, ...]  # real paths: the folders given, and the folder of each file given
    exclude: tuple[Pattern, ...] = ()

    @classmethod
    def of(cls, paths: Sequence[str], selection: Selection) -> Scope:
        folders = [p if os.path.isdir(p) else os.path.dirname(p) or "." for p in paths]
        return cls(tuple(os.path.realpath(f) for f in folders), selection.exclude)

    def refuses(self, path: str) -> str | None:
        """Why ``path`` is out of reach, or None."""
        if not any(within(os.path.realpath(path), root) for root in self.roots):
            return "which is outside the paths given"
        if _excluded(self.exclude, os.path.abspath(path), False):
            return "which an exclude pattern skips"
        return None


def parse_patterns(lines: Iterable[str], base: str) -> list[Pattern]:
    """Patterns in .gitignore syntax (``!`` negation, ``/`` anchoring, trailing ``/`` for folders, ``**``).

    Blank lines and ``#`` comments are skipped; ``base`` is the folder the patterns are relative to.
    """
    base = os.path.abspath(base)
    patterns = []
    for raw in lines:
        line = _strip_trailing_spaces(raw.rstrip("\r\n"))
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        if negate:
            line = line[1:]
        elif line.startswith(("\\!", "\\#")):
            line = line[1:]
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        if not line:
            continue
        anchored = "/" in line  # a slash at the start or in the middle: relative to base only
        glob = line.lstrip("/")
        patterns.append(Pattern(base, Glob.compile(glob if anchored else "**/" + glob), negate, dir_only))
    return patterns


def matched(patterns: Sequence[Pattern], path: str, is_dir: bool) -> bool:
    """Is ``path`` selected?  As in git, the last pattern that matches decides; ``!`` unselects."""
    for pattern in reversed(patterns):
        if pattern.matches(path, is_dir):
            return not pattern.negate
    return False


def find_targets(
    paths: Sequence[str], selection: Selection = Selection(), on_error: Callable[[str, OSError], None] | None = None
) -> tuple[list[Target], list[str]]:
    """The files to process for ``paths``, each once, in a stable order; and the paths that do not exist.
    ``on_error`` hears of each folder that cannot be read (else such folders are skipped silently).

    A named file is always taken (read as a Dockerfile when its name says nothing else), unless one of
    the user's exclude patterns matches it or a folder above it.  A folder is walked: see :func:`walk`.
    A symbolic link is followed to the file it names, which is read and written in place of the link.
    """
    roots = [os.path.realpath(p) for p in paths if os.path.isdir(p)]
    seen: set[str] = set()
    targets: list[Target] = []
    missing: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            found: Iterable[tuple[Target, str]] = _walk(path, selection, roots, on_error)
        elif os.path.isfile(path):
            excluded = _excluded(selection.exclude, os.path.abspath(path), False)
            real = os.path.realpath(path)
            found = [] if excluded else [(Target(real if os.path.islink(path) else path, kind_of(path) or DOCKERFILE), real)]
        else:
            missing.append(path)
            continue
        for target, real in found:
            if real not in seen:
                seen.add(real)
                targets.append(target)
    return targets, missing


def walk(
    root: str, selection: Selection = Selection(), roots: Sequence[str] = (), on_error: Callable[[str, OSError], None] | None = None
) -> Iterator[Target]:
    """The files under the folder ``root`` that dockerfix reads, in a stable order.

    Skipped: what .gitignore files ignore (the repository's, from its root down, and
    .git/info/exclude), the folders in SKIPPED_DIRS and virtualenvs, and the user's excludes.
    Symbolically linked folders are not walked into (so no loop), and a linked file is taken only
    when the file it names lies inside one of ``roots`` (default: ``root``).
    """
    return (target for target, _real in _walk(root, selection, roots, on_error))


def _walk(root: str, selection: Selection, roots: Sequence[str], on_error: Callable[[str, OSError], None] | None) -> Iterator[tuple[Target, str]]:
    """:func:`walk`'s files, each with its real path (what tells one file reached twice).

    One ``scandir`` per folder and no per-file system calls: a folder's real path is the root's
    followed by the names walked (linked folders are not walked), so a plain file's is too."""
    top = os.path.abspath(root)
    if _excluded(selection.exclude, top, True):
        return
    real_top = os.path.realpath(top)
    inside = [os.path.realpath(r) for r in roots] or [real_top]
    pending = [(top, _gitignore_above(top))]  # folders to list, the next one last
    while pending:
        folder, rules = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as exc:  # shown as under ``root``
            if on_error is not None:
                on_error(os.path.normpath(os.path.join(root, os.path.relpath(str(exc.filename or folder), top))), exc)
            continue
        names = {entry.name: entry for entry in entries}
        if folder != top and "pyvenv.cfg" in names and names["pyvenv.cfg"].is_file():
            continue  # a virtualenv of any name
        if ".gitignore" in names:
            rules = rules + _read_patterns(os.path.join(folder, ".gitignore"), folder)
        below = folder[len(top) :]  # "" or os.sep + the names walked
        shown_folder = os.path.normpath(os.path.join(root, below.lstrip(os.sep)))
        subfolders = []
        for entry in entries:
            if not _is_folder(entry):
                continue
            path = os.path.join(folder, entry.name)
            if not _skipped_dir(entry.name) and not matched(rules, path, True) and not matched(selection.exclude, path, True):
                subfolders.append((path, rules))
        for entry in entries:
            if _is_folder(entry):
                continue
            path = os.path.join(folder, entry.name)
            kind = _kind_in_walk(path, entry.name, rules, selection)
            if kind is None:
                continue
            if not _is_link(entry):
                shown = entry.name if shown_folder == "." else os.path.join(shown_folder, entry.name)
                yield Target(shown, kind), real_top + below + os.sep + entry.name
                continue
            real = os.path.realpath(path)
            if os.path.isfile(real) and any(within(real, r) for r in inside):
                yield Target(real, kind), real
        pending.extend(reversed(subfolders))


def _is_folder(entry: os.DirEntry) -> bool:
    """A folder, not a link to one (linked folders are never walked into: no loops)."""
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _is_link(entry: os.DirEntry) -> bool:
    try:
        return entry.is_symlink()
    except OSError:
        return False


def _kind_in_walk(path: str, name: str, rules: Sequence[Pattern], selection: Selection) -> str | None:
    if fnmatch.fnmatch(name, ".dockerfix-*"):  # our own temporary files
        return None
    kind = kind_of(path)
    if kind is None and matched(selection.include, path, False):
        kind = DOCKERFILE
    if kind is None or (selection.kinds is not None and kind not in selection.kinds):
        return None
    if matched(rules, path, False) or matched(selection.exclude, path, False):
        return None
    return kind


def _skipped_dir(name: str) -> bool:
    return name in SKIPPED_DIRS or name.endswith(".egg-info")


def _excluded(patterns: Sequence[Pattern], path: str, is_dir: bool) -> bool:
    """``path`` or a folder above it is matched: as in git, a folder's exclusion covers its contents."""
    if not patterns:
        return False
    folder = os.path.dirname(path)
    while True:
        if matched(patterns, folder, True):
            return True
        parent = os.path.dirname(folder)
        if parent == folder:
            return matched(patterns, path, is_dir)
        folder = parent


def _gitignore_above(folder: str) -> list[Pattern]:
    """The ignore rules that reach into ``folder`` from above: its repository's .git/info/exclude and
    the .gitignore files from the repository root down to ``folder``'s parent.  None outside a work tree."""
    above: list[str] = []
    current = folder
    while not os.path.exists(os.path.join(current, ".git")):
        parent = os.path.dirname(current)
        if parent == current:
            return []
        above.append(parent)
        current = parent
    rules = _read_patterns(os.path.join(current, ".git", "info", "exclude"), current)
    for ancestor in reversed(above):
        rules += _read_patterns(os.path.join(ancestor, ".gitignore"), ancestor)
    return rules


def _read_patterns(path: str, base: str) -> list[Pattern]:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return parse_patterns(handle, base)
    except OSError:
        return []


def _relative(path: str, base: str) -> str | None:
    """``path`` relative to ``base`` with "/" separators; None when it is not below ``base``."""
    prefix = base if base.endswith(os.sep) else base + os.sep
    if not path.startswith(prefix):
        return None
    return path[len(prefix) :].replace(os.sep, "/")


def within(path: str, folder: str) -> bool:
    """``path`` is ``folder`` or below it (both absolute, no symbolic links to resolve)."""
    return path == folder or _relative(path, folder) is not None


def _strip_trailing_spaces(line: str) -> str:
    """Trailing spaces are dropped, except one escaped with a backslash."""
    stripped = line.rstrip(" ")
    if stripped != line and stripped.endswith("\\"):
        return stripped + " "
    return stripped


@dataclass(frozen=True)
class Glob:
    """A .gitignore glob, matched without backtracking (a repository's ``*a*a*a*b`` cannot stall a walk).

    ``*`` and ``?`` stay within one path component, ``**`` as a whole component matches any number of
    folders (a trailing ``/**`` one or more: everything inside).  Components are matched with the
    linear wildcard algorithm, paths component by component: O(pattern x path), never exponential.
    """

    parts: tuple[tuple[tuple[str, str], ...] | None, ...]  # None for "**"; else atoms (kind, text)

    @classmethod
    def compile(cls, glob: str) -> Glob:
        return cls(tuple(None if part == "**" else _atoms(part) for part in glob.split("/")))

    def matches(self, path: str) -> bool:
        names = path.split("/")
        parts = self.parts
        last = len(parts)

        @lru_cache(maxsize=None)
        def match(p: int, n: int) -> bool:
            if p == last:
                return n == len(names)
            part = parts[p]
            if part is None:
                least = 1 if p == last - 1 and p > 0 else 0  # a trailing "/**": something inside
                return any(match(p + 1, k) for k in range(n + least, len(names) + 1))
            return n < len(names) and _component_matches(part, names[n]) and match(p + 1, n + 1)

        return match(0, 0)


def _atoms(part: str) -> tuple[tuple[str, str], ...]:
    """One component as atoms: ("*", ""), ("?", ""), ("class", regex for one char), ("char", c)."""
    atoms: list[tuple[str, str]] = []
    i, n = 0, len(part)
    while i < n:
        char = part[i]
        if char == "*":
            while i < n and part[i] == "*":
                i += 1
            atoms.append(("*", ""))
            continue
        if char == "?":
            atoms.append(("?", ""))
        elif char == "[":
            end = part.find("]", i + 2 if part[i + 1 : i + 2] in ("!", "^", "]") else i + 1)
            if end < 0:
                atoms.append(("char", char))
            else:
                body = part[i + 1 : end]
                negated = body[:1] in ("!", "^")
                body = body[1:] if negated else body
                atoms.append(("class", "[" + ("^/" if negated else "") + body.replace("\\", "\\\\") + "]"))
                i = end
        elif char == "\\" and i + 1 < n:
            i += 1
            atoms.append(("char", part[i]))
        else:
            atoms.append(("char", char))
        i += 1
    return tuple(atoms)


def _atom_matches(atom: tuple[str, str], char: str) -> bool:
    kind, text = atom
    if kind == "?":
        return True
    if kind == "class":
        return _class_regex(text).fullmatch(char) is not None
    return text == char


@lru_cache(maxsize=256)
def _class_regex(text: str) -> re.Pattern[str]:
    try:
        return re.compile(text)
    except re.error:  # not a valid class: match it literally, as git does with a stray bracket
        return re.compile(re.escape(text))


def _component_matches(atoms: tuple[tuple[str, str], ...], name: str) -> bool:
    """The classic linear wildcard match: on a mismatch, retry from the last ``*`` one char further."""
    a = c = 0
    star_atom, star_char = -1, 0
    while c < len(name):
        if a < len(atoms) and atoms[a][0] != "*" and _atom_matches(atoms[a], name[c]):
            a += 1
            c += 1
        elif a < len(atoms) and atoms[a][0] == "*":
            star_atom, star_char = a, c
            a += 1
        elif star_atom >= 0:
            star_char += 1
            a, c = star_atom + 1, star_char
        else:
            return False
    while a < len(atoms) and atoms[a][0] == "*":
        a += 1
    return a == len(atoms)
