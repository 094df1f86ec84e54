"""Which requirements install from a wheel on Alpine (musl) and on Debian (glibc).

The reason to leave Alpine, in numbers for one project: PyPI has manylinux (glibc)
wheels for most compiled projects and musllinux wheels for fewer, so on Alpine pip
compiles from source.  This module answers it per requirement:

- **What pip would install.**  :func:`resolve` walks the requirements and their
  dependencies (``Requires-Dist`` of a wheel's metadata, PEP 658) and picks the
  newest release allowed by all the specifiers seen and by ``Requires-Python``;
  a lock file's pins enter as constraints.  This is a "newest compatible" walk,
  not pip's backtracking resolver: on a conflict it reports it instead of trying
  older releases.
- **Which file pip would pick** (:func:`availability`): the wheel whose tags rank
  first for the image's CPython and platform (``packaging.tags`` order), else the
  sdist (a source build), else nothing.  Pure-Python wheels (``py3-none-any``)
  work everywhere; ``cp38-abi3`` wheels work on every later CPython.
- **The platform of each image** (:func:`stage_targets`): CPython X.Y from the
  tag (``python:3-alpine`` = the newest minor published); musl 1.1 before Alpine
  3.13 and 1.2 from then on; the glibc of the Debian release (data/libc.toml);
  amd64 unless ``FROM --platform`` says otherwise.

PyPI is read through its JSON simple API (PEP 691) with only the standard
library; answers are cached under ``$DOCKERFIX_PYPI_CACHE``, else
``$XDG_CACHE_HOME/dockerfix/pypi``, else ``~/.cache/dockerfix/pypi`` (project pages
for a day, metadata files for ever).  Offline, only the cache is read.

Version, specifier, marker and tag logic comes from ``packaging``, the library pip
itself vendors, so the answers match pip's own reading of PEP 440/508/425.
"""

from __future__ import annotations

import io
import json
import os
import re
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Callable, Iterable, Mapping

from packaging import tags
from packaging.markers import InvalidMarker, Marker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement as PEP508
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from . import images
from .requirements import Requirement
from .stages import Stage

from .datafiles import toml

PYPI_SIMPLE = "https://pypi.org/simple/"
ACCEPT = "application/vnd.pypi.simple.v1+json"
CACHE_ENV = "DOCKERFIX_PYPI_CACHE"
TIMEOUT = 10.0  # seconds per request
MAX_AGE = 24 * 3600  # seconds a cached project page is fresh
MAX_WHEEL_READ = 5 * 1024 * 1024  # bytes: a wheel without a metadata file is read whole up to this size
MAX_PROJECTS = 400  # a dependency walk stops here (a runaway resolution is a bug, not a project)
MAX_BACKTRACK = 30  # older releases tried when the newest needs something a pin excludes
DEFAULT_PLATFORM = "linux/amd64"

# Docker platform -> wheel architecture (the machine name in platform tags).
ARCHES = {
    "linux/amd64": "x86_64",
    "linux/arm64": "aarch64",
    "linux/arm64/v8": "aarch64",
    "linux/arm/v7": "armv7l",
    "linux/arm/v6": "armv6l",
    "linux/386": "i686",
    "linux/ppc64le": "ppc64le",
    "linux/s390x": "s390x",
    "linux/riscv64": "riscv64",
}
# manylinux1 and manylinux2010 exist only for these; manylinux2014 for the rest of PEP 599.
_OLD_MANYLINUX_ARCHES = ("x86_64", "i686")
_MANYLINUX2014_ARCHES = ("x86_64", "i686", "aarch64", "armv7l", "ppc64", "ppc64le", "s390x")
_SDIST = re.compile(r"\.(?:tar\.gz|zip|tar\.bz2|tar\.xz|tgz|tar)$")


class Unavailable(Exception):
    """PyPI could not answer (offline and not cached, unreachable, bad answer); the message says why."""


# --- the images' platforms ------------------------------------------------------------------


@lru_cache(maxsize=1)
def _libc_table() -> dict[str, dict[str, str]]:
    return toml("libc.toml")


def _pair(text: str) -> tuple[int, int]:
    major, minor = text.split(".")[:2]
    return int(major), int(minor)


def glibc_of(codename: str) -> tuple[int, int]:
    """glibc version of a Debian release (KeyError for an unknown one)."""
    return _pair(_libc_table()["glibc"][codename])


def musl_of(alpine: tuple[int, int] | None) -> tuple[int, int]:
    """musl version of an Alpine release; None (unknown, i.e. older than tagged variants) means the oldest."""
    table = sorted((_pair(first), _pair(musl)) for musl, first in _libc_table()["musl"].items())
    if alpine is None:
        return table[0][1]
    return max(musl for first, musl in table if first <= alpine)


def platform_tags(libc: str, version: tuple[int, int], arch: str) -> list[str]:
    """Linux platform tags a system accepts, most specific first (as ``packaging.tags`` orders them)."""
    major, minor = version
    if libc == "musl":
        return [f"musllinux_{major}_{m}_{arch}" for m in range(minor, -1, -1)]
    oldest = 5 if arch in _OLD_MANYLINUX_ARCHES else 17
    found = []
    for m in range(minor, oldest - 1, -1):
        found.append(f"manylinux_{major}_{m}_{arch}")
        legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}.get(m)
        if legacy == "manylinux2014" and arch in _MANYLINUX2014_ARCHES or legacy and arch in _OLD_MANYLINUX_ARCHES:
            found.append(f"{legacy}_{arch}")
    return found


@dataclass(frozen=True)
class Target:
    """One image's interpreter and platform, as wheel tags see it."""

    image: str  # "python:3.8-alpine"
    python: tuple[int, int]
    python_full: str  # "3.8.20": the patch the tag names, else the newest published for it
    libc: str  # "musl" or "glibc"
    libc_version: tuple[int, int]
    arch: str  # "x86_64"

    @property
    def libc_label(self) -> str:
        return f"{self.libc} {self.libc_version[0]}.{self.libc_version[1]}"

    @cached_property
    def tag_rank(self) -> dict[tags.Tag, int]:
        """Every tag this CPython accepts -> its preference (0 is best), as pip orders them."""
        major, minor = self.python
        abi = f"cp{major}{minor}" + ("mu" if major == 2 else "m" if self.python < (3, 8) else "")
        platforms = platform_tags(self.libc, self.libc_version, self.arch)
        ordered = [
            *tags.cpython_tags(self.python, abis=[abi], platforms=platforms),
            *tags.compatible_tags(self.python, interpreter=f"cp{major}{minor}", platforms=platforms),
        ]
        rank: dict[tags.Tag, int] = {}
        for tag in ordered:
            rank.setdefault(tag, len(rank))
        return rank

    def marker_environment(self) -> dict[str, str]:
        """PEP 508 marker variables inside the image (libc does not show in markers)."""
        return {
            "implementation_name": "cpython",
            "implementation_version": self.python_full,
            "os_name": "posix",
            "platform_machine": self.arch,
            "platform_python_implementation": "CPython",
            "platform_release": "",
            "platform_system": "Linux",
            "platform_version": "",
            "python_full_version": self.python_full,
            "python_version": f"{self.python[0]}.{self.python[1]}",
            "sys_platform": "linux" if self.python >= (3, 3) else "linux2",
        }


@dataclass(frozen=True)
class StageTargets:
    alpine: Target
    debian: Target
    platform: str  # the Docker platform the tags were computed for
    notes: tuple[str, ...]  # assumptions made (an unknown --platform ...)


_VERSION_SPEC = re.compile(r"^(?P<spec>.*?)-?alpine(?P<alpine>\d+\.\d+)?$")


def _python_of(spec: str, variant: str) -> tuple[tuple[int, int], str] | None:
    """(X.Y, X.Y.Z) of a tag's version part ("3.8", "3.8.5", "3", "", "3.15-rc", "rc") in ``variant``
    ("alpine", "alpine3.12", "slim-bookworm").

    The patch is the newest published for that tag (pip checks Requires-Python against X.Y.Z,
    so a pre-release counts as its release).
    """
    published = images.published_tags()
    rc = spec == "rc" or spec.endswith("-rc")
    spec = spec.removesuffix("-rc").removesuffix("rc") if rc else spec
    if spec in ("", "3", "2"):
        form = re.compile(r"(\d+\.\d+)-rc-alpine" if rc else r"(\d+\.\d+)-alpine")
        minors = [_pair(m[1]) for m in map(form.fullmatch, published) if m]
        minors = [m for m in minors if not spec or m[0] == int(spec)]
        if not minors:
            return None
        spec = "%d.%d" % max(minors)
    match = re.fullmatch(r"(\d+)\.(\d+)(?:\.(\d+)(?:(?:a|b|rc)\d+)?)?", spec)
    if not match:
        return None
    minor = (int(match[1]), int(match[2]))
    if match[3] is not None:
        return minor, f"{match[1]}.{match[2]}.{match[3]}"
    suffix = re.escape(f"-{variant}")
    patches = [int(m[1]) for m in map(re.compile(rf"{re.escape(spec)}\.(\d+){suffix}").fullmatch, published) if m]
    return minor, f"{spec}.{max(patches) if patches else 0}"


def _alpine_of(spec: str, written: str | None) -> tuple[int, int] | None:
    """The Alpine release behind a tag: as written, else the newest ``<spec>-alpineX.Y`` ever published."""
    if written:
        return _pair(written)
    prefix = f"{spec}-alpine" if spec else "alpine"
    found = [_pair(tag[len(prefix) :]) for tag in images.published_tags() if re.fullmatch(rf"{re.escape(prefix)}\d+\.\d+", tag)]
    return max(found, default=None)


def targets_for(base_ref: str, codename: str, platform: str | None) -> StageTargets | None:
    """The Alpine image a stage is built on and its Debian replacement; None when the tag is unknown."""
    ref = images.parse_ref(base_ref)
    if ref is None or ref.tag is None:
        return None
    match = _VERSION_SPEC.match(ref.tag)
    if not match:
        return None
    spec = match["spec"]
    python = _python_of(spec, f"alpine{match['alpine'] or ''}")
    debian_python = _python_of(spec, f"slim-{codename}")
    if python is None or debian_python is None:
        return None
    notes = []
    if platform and "$" in platform:
        notes.append(f"--platform={platform} is decided at build time: wheels checked for {DEFAULT_PLATFORM}")
        platform = None
    platform = platform or DEFAULT_PLATFORM
    arch = ARCHES.get(platform)
    if arch is None:
        notes.append(f"platform {platform} is not one dockerfix knows: wheels checked for {DEFAULT_PLATFORM}")
        platform, arch = DEFAULT_PLATFORM, ARCHES[DEFAULT_PLATFORM]
    minor, full = python
    alpine = Target(f"python:{ref.tag}", minor, full, "musl", musl_of(_alpine_of(spec, match["alpine"])), arch)
    slim = f"{spec}-slim-{codename}" if spec else f"slim-{codename}"
    debian = Target(f"python:{slim}", minor, debian_python[1], "glibc", glibc_of(codename), arch)
    return StageTargets(alpine, debian, platform, tuple(notes))


def stage_targets(stages: tuple[Stage, ...], stage: Stage, variables: Mapping[str, str], platform: str | None = None) -> StageTargets | None:
    """Targets of a migrated stage (through ``FROM <stage>`` to its python Alpine root); None when unknown.

    ``platform`` is the default when the root's FROM has no ``--platform``; ``variables`` are the global ARG defaults.
    """
    root = stage
    while root.parent is not None:
        root = stages[root.parent]
    if root.decision is None or root.decision.codename is None or root.base_ref is None:
        return None
    flag = next((f.value for f in root.from_instruction.flags if f.name == "platform" and f.value), None)
    if flag:
        expanded = re.sub(r"\$\{?(\w+)\}?", lambda m: variables.get(m[1], m[0]), flag)
        platform = expanded
    return targets_for(root.base_ref, root.decision.codename, platform)


# --- PyPI -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DistFile:
    filename: str
    url: str | None
    requires_python: str | None
    yanked: bool
    metadata: bool | None  # PEP 658/714 says a .metadata file exists (True/False), or the index does not say (None)
    size: int | None = None

    @property
    def is_wheel(self) -> bool:
        return self.filename.endswith(".whl")


@dataclass(frozen=True)
class Project:
    name: str  # canonical
    files: tuple[DistFile, ...]

    @cached_property
    def releases(self) -> dict[Version, tuple[DistFile, ...]]:
        """Version -> its files (wheels and sdists whose names parse)."""
        found: dict[Version, list[DistFile]] = {}
        for dist in self.files:
            version = file_version(dist.filename, self.name)
            if version is not None:
                found.setdefault(version, []).append(dist)
        return {v: tuple(files) for v, files in found.items()}


def file_version(filename: str, project: str) -> Version | None:
    """The version in a wheel or sdist file name of ``project`` (None if it does not parse)."""
    try:
        if filename.endswith(".whl"):
            name, version, _build, _tags = parse_wheel_filename(filename)
            return version if name == project else None
        stem = _SDIST.sub("", filename)
        if stem == filename:
            return None
        for at in (i for i, c in enumerate(stem) if c == "-"):
            if canonicalize_name(stem[:at]) == project:
                return Version(stem[at + 1 :])
    except (InvalidWheelFilename, InvalidVersion):
        return None
    return None


def cache_dir() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "dockerfix" / "pypi"


def trim_page(page: Mapping) -> dict:
    """The parts of a PEP 691 project page dockerfix reads (what the cache and the test data keep)."""
    keep = ("filename", "url", "requires-python", "yanked", "size", "core-metadata", "data-dist-info-metadata")
    return {
        "meta": dict(page.get("meta", {})),
        "name": page.get("name"),
        "files": [{k: f[k] for k in keep if k in f} for f in page.get("files", ())],
    }


def trim_metadata(text: str) -> str:
    """The header lines of a METADATA file dockerfix reads: name, version and dependencies."""
    keep = ("Metadata-Version:", "Name:", "Version:", "Requires-Python:", "Requires-Dist:", "Provides-Extra:")
    head = text.replace("\r\n", "\n").split("\n\n", 1)[0]
    return "".join(line + "\n" for line in head.split("\n") if line.startswith(keep))


def _project_from_page(name: str, page: Mapping) -> Project:
    files = []
    for entry in page.get("files", ()):
        meta = entry.get("core-metadata", entry.get("data-dist-info-metadata"))
        files.append(
            DistFile(
                filename=entry["filename"],
                url=entry.get("url"),
                requires_python=entry.get("requires-python") or None,
                yanked=bool(entry.get("yanked")),
                metadata=None if meta is None else bool(meta),
                size=entry.get("size") if isinstance(entry.get("size"), int) else None,
            )
        )
    return Project(name, tuple(files))


Fetch = Callable[[str, dict[str, str], float], bytes]


def _urlopen(url: str, headers: dict[str, str], timeout: float) -> bytes:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (https URL of our own)
        return response.read()


class NotFound(Exception):
    """The index answered 404."""


class PyPI:
    """PyPI's simple API with an on-disk cache.  After one failed connection it stops trying."""

    def __init__(
        self,
        offline: bool = False,
        cache: Path | None = None,
        timeout: float = TIMEOUT,
        index_url: str = PYPI_SIMPLE,
        fetch: Fetch = _urlopen,
        max_age: float = MAX_AGE,
    ) -> None:
        self.offline = offline
        self.cache = cache if cache is not None else cache_dir()
        self.timeout = timeout
        self.index_url = index_url
        self.max_age = max_age
        self._fetch = fetch
        self._down: str | None = None
        self._projects: dict[str, Project] = {}

    def project(self, name: str) -> Project:
        """The files of a project (none when PyPI does not know it); Unavailable when it cannot tell."""
        name = canonicalize_name(name)
        if name not in self._projects:
            page = self._cached_or_fetched(
                f"{name}.json",
                self.index_url + name + "/",
                {"Accept": ACCEPT},
                fresh_for=self.max_age,
                missing=json.dumps({"meta": {"api-version": "1.0"}, "name": name, "files": []}),
                trim=lambda raw: json.dumps(trim_page(json.loads(raw)), separators=(",", ":")),
            )
            try:
                self._projects[name] = _project_from_page(name, json.loads(page))
            except (ValueError, KeyError, TypeError) as exc:
                raise Unavailable(f"unreadable PyPI answer for {name} ({exc})") from None
        return self._projects[name]

    def requires_dist(self, dist: DistFile) -> tuple[str, ...]:
        """``Requires-Dist`` of a wheel: from its PEP 658 metadata file, else from a small wheel itself."""
        key = dist.filename + ".metadata"
        url = (dist.url or "").split("#", 1)[0]
        try:
            if dist.metadata is False:
                raise Unavailable(f"PyPI has no metadata file for {dist.filename}")
            text = self._cached_or_fetched(key, url + ".metadata", {}, fresh_for=None, missing=None, trim=trim_metadata)
        except Unavailable:
            if self.offline or self._down or not url or not dist.size or dist.size > MAX_WHEEL_READ:
                raise
            text = self._cached_or_fetched(key, url, {}, fresh_for=None, missing=None, trim=_wheel_metadata, binary=True)
        return tuple(line[len("Requires-Dist:") :].strip() for line in text.splitlines() if line.startswith("Requires-Dist:"))

    def _cached_or_fetched(
        self,
        key: str,
        url: str,
        headers: dict[str, str],
        fresh_for: float | None,
        missing: str | None,
        trim: Callable,
        binary: bool = False,
    ) -> str:
        path = self.cache / key
        cached = _read(path)
        if cached is not None and (self.offline or fresh_for is None or time.time() - path.stat().st_mtime < fresh_for):
            return cached
        if self.offline:
            raise Unavailable(f"offline and not in the cache ({path})")
        if self._down:
            return _fallback(cached, self._down)
        if not url.startswith(("https://", "http://")):
            return _fallback(cached, f"no URL for {key}")
        try:
            body = self._fetch(url, {"User-Agent": "dockerfix", **headers}, self.timeout)
        except urllib.error.HTTPError as exc:
            if exc.code != 404:
                return _fallback(cached, f"PyPI answered {exc.code} for {url}")
            if missing is None:
                raise Unavailable(f"PyPI has no {url.rsplit('/', 1)[-1]}") from None
            _write(path, missing)
            return missing
        except OSError as exc:  # URLError, timeouts, resets
            self._down = f"PyPI unreachable ({getattr(exc, 'reason', exc)})"
            return _fallback(cached, self._down)
        try:
            text = trim(body if binary else body.decode("utf-8"))
        except (ValueError, zipfile.BadZipFile) as exc:
            return _fallback(cached, f"unreadable answer from {url} ({exc})")
        _write(path, text)
        return text


def _wheel_metadata(wheel: bytes) -> str:
    """The dependency lines of the METADATA inside a wheel (for wheels PyPI has no metadata file for)."""
    with zipfile.ZipFile(io.BytesIO(wheel)) as archive:
        name = next((n for n in archive.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")), None)
        if name is None:
            raise ValueError("no .dist-info/METADATA in the wheel")
        return trim_metadata(archive.read(name).decode("utf-8", errors="replace"))


def _fallback(cached: str | None, reason: str) -> str:
    """A stale cache entry beats no answer."""
    if cached is None:
        raise Unavailable(reason)
    return cached


def _read(path: Path) -> str | None:
    try:
        return path.read_text("utf-8")
    except OSError:
        return None


def _write(path: Path, text: str) -> None:
    """Best effort, atomic: a cache that cannot be written only costs time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_text(text, "utf-8")
        os.replace(temporary, path)
    except OSError:
        pass


# --- which file pip picks ------------------------------------------------------------------------


@dataclass(frozen=True)
class Availability:
    status: str  # "wheel" (compiled for the platform), "pure" (py3-none-any), "source" (sdist only), "none"
    platform: str | None = None  # the chosen wheel's platform tag, e.g. "musllinux_1_2_x86_64"
    filename: str | None = None

    @property
    def installs_from_wheel(self) -> bool:
        return self.status in ("wheel", "pure")


def _python_ok(dist: DistFile, python_full: str) -> bool:
    if not dist.requires_python:
        return True
    try:
        return SpecifierSet(dist.requires_python).contains(python_full, prereleases=True)
    except InvalidSpecifier:
        return True  # pip ignores a requires-python it cannot read


def availability(files: Iterable[DistFile], target: Target) -> Availability:
    """What pip installs from one release's files on ``target``: the best-ranked wheel, else the sdist."""
    best: tuple[int, tags.Tag, DistFile] | None = None
    sdist = None
    for dist in files:
        if not _python_ok(dist, target.python_full):
            continue
        if not dist.is_wheel:
            sdist = sdist or dist
            continue
        try:
            wheel_tags = parse_wheel_filename(dist.filename)[3]
        except (InvalidWheelFilename, InvalidVersion):
            continue
        for tag in wheel_tags:
            rank = target.tag_rank.get(tag)
            if rank is not None and (best is None or rank < best[0]):
                best = (rank, tag, dist)
    if best is not None:
        _rank, tag, dist = best
        if tag.platform == "any":
            return Availability("pure", None, dist.filename)
        return Availability("wheel", tag.platform, dist.filename)
    if sdist is not None:
        return Availability("source", None, sdist.filename)
    return Availability("none")


# --- what pip would install -------------------------------------------------------------------------


@dataclass
class Resolved:
    """One project the requirements install, and the release chosen for it."""

    name: str  # canonical
    display: str  # as first written
    specifier: str  # every specifier seen, combined ("" = any)
    origin: str  # where it was asked for: "requirements.txt:3", "line 7", or the project that needs it
    line: int  # the Dockerfile line of the install that brings it in
    direct: bool  # named by the Dockerfile or its files, not only a dependency
    version: str | None = None
    files: tuple[DistFile, ...] = ()
    problem: str | None = None  # why it could not be checked
    conflict: str | None = None  # a dependency wants another release than the one chosen
    dependencies_known: bool = True  # False when the release's dependencies could not be read
    extras: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class _Want:
    """One request for a project, from a requirement or from a dependency's metadata."""

    name: str
    display: str
    specifier: str
    extras: frozenset[str]
    origin: str
    line: int
    direct: bool


def _releases(project: Project, spec: SpecifierSet, python_full: str) -> list[Version]:
    """Releases pip may pick, newest first: allowed by ``spec``, with a file for this Python; yanked only when pinned."""
    pinned = any(s.operator in ("==", "===") and "*" not in s.version for s in spec)
    found = []
    for version in sorted(project.releases, reverse=True):
        if spec.contains(version) and any(
            _python_ok(f, python_full) and (pinned or not f.yanked) for f in project.releases[version]
        ):
            found.append(version)
    return found


def _pins(specs: Mapping[str, SpecifierSet]) -> dict[str, Version]:
    """Projects pinned to one release (``==1.2``) by the requirements or a lock file: a dependency cannot move them."""
    pins = {}
    for name, spec in specs.items():
        exact = [s for s in spec if s.operator == "==" and "*" not in s.version]
        if exact:
            try:
                pins[name] = Version(exact[0].version)
            except InvalidVersion:
                continue
    return pins


class _Walk:
    """The dependency walk of :func:`resolve`: newest compatible releases, a short backtrack for pins."""

    def __init__(self, target: Target, index: PyPI) -> None:
        self.target = target
        self.env = target.marker_environment()
        self.index = index
        self.found: dict[str, Resolved] = {}
        self.specs: dict[str, SpecifierSet] = {}
        self.pins: dict[str, Version] = {}

    def constrain(self, name: str, specifier: str) -> None:
        self.specs[name] = self.specs.get(name, SpecifierSet()) & _spec(specifier)

    def run(self, queue: list[_Want]) -> None:
        self.pins = _pins(self.specs)
        while queue and len(self.found) < MAX_PROJECTS:
            want = queue.pop(0)
            entry = self.found.get(want.name)
            spec = self.specs.get(want.name, SpecifierSet())
            if entry is None:
                entry = self.found[want.name] = Resolved(want.name, want.display, "", want.origin, want.line, want.direct)
            elif entry.problem is not None:
                continue
            elif entry.version is not None and want.extras <= entry.extras and spec.contains(entry.version, prereleases=True):
                continue
            entry.extras |= want.extras
            entry.specifier = str(spec)
            queue += self.choose(entry, spec)

    def choose(self, entry: Resolved, spec: SpecifierSet) -> list[_Want]:
        """Pick ``entry``'s release and return its dependencies."""
        try:
            project = self.index.project(entry.name)
        except Unavailable as exc:
            entry.problem = str(exc)
            return []
        if not project.files:
            entry.problem = "not on PyPI"
            return []
        candidates = _releases(project, spec, self.target.python_full)
        if not candidates:
            if entry.version is None:
                entry.problem = f"no release matches {spec or 'any version'} for Python {self.target.python_full}"
            else:
                entry.conflict = f"no release matches {spec} for Python {self.target.python_full}; kept {entry.version}"
            return []
        first_clash = None
        for version in candidates[:MAX_BACKTRACK]:
            wants = self.dependencies(entry, project.releases[version])
            clash = next((w for w in wants or () if w.name in self.pins and not _spec(w.specifier).contains(self.pins[w.name], prereleases=True)), None)
            if clash is None:
                break
            first_clash = first_clash or (version, clash)
        else:
            version, clash = first_clash
            wants = self.dependencies(entry, project.releases[version])
            entry.conflict = f"{entry.display} {version} needs {clash.display}{clash.specifier}, which the pin {clash.display}=={self.pins[clash.name]} excludes"
        entry.version, entry.files = str(version), project.releases[version]
        entry.dependencies_known = wants is not None
        kept = [w for w in wants or () if not (w.name in self.pins and not _spec(w.specifier).contains(self.pins[w.name], prereleases=True))]
        for want in kept:
            self.constrain(want.name, want.specifier)
        return kept

    def dependencies(self, entry: Resolved, files: tuple[DistFile, ...]) -> list[_Want] | None:
        """What one release needs on this image (markers evaluated, with the extras asked for); None if unknown."""
        wheel = metadata_wheel(files)
        if wheel is None:
            return None
        try:
            lines = self.index.requires_dist(wheel)
        except Unavailable:
            return None
        wants = []
        for line in lines:
            try:
                dep = PEP508(line)
            except InvalidRequirement:
                continue
            if dep.url or not _applies(str(dep.marker) if dep.marker else None, self.env, entry.extras):
                continue
            extras = frozenset(canonicalize_name(e) for e in dep.extras)
            wants.append(_Want(canonicalize_name(dep.name), dep.name, str(dep.specifier), extras, entry.display, entry.line, False))
        return wants


def metadata_wheel(files: Iterable[DistFile]) -> DistFile | None:
    """The wheel whose metadata gives a release's dependencies (the same in every wheel; markers
    carry the differences): a pure-Python one if any, else the first by name, so one file per release
    is fetched and cached."""
    wheels = sorted((f for f in files if f.is_wheel), key=lambda f: (not f.filename.endswith("-none-any.whl"), f.filename))
    return next((f for f in wheels if f.metadata is not False), wheels[0] if wheels else None)


def resolve(
    requirements: Iterable[Requirement], constraints: Iterable[Requirement], target: Target, index: PyPI
) -> list[Resolved]:
    """Every project the requirements install on ``target``'s Python: direct ones first, in the order found."""
    requirements = list(requirements)
    walk = _Walk(target, index)
    for con in constraints:
        if con.name and con.problem is None and _applies(con.marker, walk.env, ()):
            walk.constrain(con.name, con.specifier)
    queue = []
    for req in requirements:
        if not _applies(req.marker, walk.env, ()):
            continue
        if req.problem is not None or req.name is None:
            key = req.name or req.text
            walk.found.setdefault(key, Resolved(key, req.display, "", req.origin, req.line, True, problem=req.problem or "no project name"))
            continue
        walk.constrain(req.name, req.specifier)
        queue.append(_Want(req.name, req.display, req.specifier, frozenset(canonicalize_name(e) for e in req.extras), req.origin, req.line, True))
    walk.run(queue)
    order = {r.name or r.text: i for i, r in reversed(list(enumerate(requirements)))}
    return sorted(walk.found.values(), key=lambda r: (not r.direct, order.get(r.name, 0) if r.direct else 0))


def _spec(text: str) -> SpecifierSet:
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        return SpecifierSet()


def _applies(marker: str | None, env: dict[str, str], extras: Iterable[str]) -> bool:
    """Whether a PEP 508 marker holds in the image; an unreadable marker counts as true (pip would fail loudly)."""
    if not marker:
        return True
    try:
        parsed = Marker(marker)
        if "extra" in marker:
            return any(parsed.evaluate({**env, "extra": extra}) for extra in (*extras, ""))
        return parsed.evaluate(env)
    except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
        return True
