"""Wheel availability: platform tags, file choice, the PyPI client and its cache, the dependency walk.

The walk runs offline against the answers recorded in tests/data/pypi (see README.md there);
the expected versions and files were read off those JSON files by hand.
"""

from __future__ import annotations

import io
import json
import urllib.error
import zipfile
from pathlib import Path

import pytest

from rewriter import wheels
from rewriter.requirements import parse_requirement
from rewriter.wheels import DistFile, PyPI, Target, Unavailable

RECORDED = Path(__file__).parent / "data" / "pypi"


def target(python=(3, 12), libc="glibc", version=(2, 36), arch="x86_64", full=None) -> Target:
    return Target("test", python, full or "%d.%d.0" % python, libc, version, arch)


def dist(filename: str, requires_python: str | None = None, yanked: bool = False) -> DistFile:
    return DistFile(filename, None, requires_python, yanked, None)


def recorded() -> PyPI:
    return PyPI(offline=True, cache=RECORDED)


# --- platforms -------------------------------------------------------------------------------------


def test_glibc_of_debian_releases() -> None:
    assert wheels.glibc_of("bullseye") == (2, 31)
    assert wheels.glibc_of("bookworm") == (2, 36)
    assert wheels.glibc_of("trixie") == (2, 41)


def test_musl_version_changes_with_alpine_3_13() -> None:
    assert wheels.musl_of((3, 12)) == (1, 1)
    assert wheels.musl_of((3, 13)) == (1, 2)
    assert wheels.musl_of((3, 20)) == (1, 2)
    assert wheels.musl_of(None) == (1, 1)


def test_manylinux_tags_include_the_legacy_aliases_up_to_the_glibc() -> None:
    tags = wheels.platform_tags("glibc", (2, 17), "x86_64")
    assert tags[0] == "manylinux_2_17_x86_64"
    assert {"manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64", "manylinux_2_5_x86_64"} <= set(tags)
    assert "manylinux_2_18_x86_64" not in tags


def test_aarch64_has_no_manylinux1() -> None:
    tags = wheels.platform_tags("glibc", (2, 36), "aarch64")
    assert "manylinux2014_aarch64" in tags
    assert tags[-1] == "manylinux2014_aarch64"
    assert not any("manylinux1" in t or "manylinux2010" in t for t in tags)


def test_musllinux_tags() -> None:
    assert wheels.platform_tags("musl", (1, 1), "x86_64") == ["musllinux_1_1_x86_64", "musllinux_1_0_x86_64"]


# --- which file pip picks --------------------------------------------------------------------------


def test_compressed_tag_set_matches_debian_but_not_alpine() -> None:
    files = [dist("x-1.0-cp38-cp38-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"), dist("x-1.0.tar.gz")]
    debian = wheels.availability(files, target((3, 8)))
    assert (debian.status, debian.platform) == ("wheel", "manylinux_2_17_x86_64")
    alpine = wheels.availability(files, target((3, 8), "musl", (1, 2)))
    assert (alpine.status, alpine.filename) == ("source", "x-1.0.tar.gz")


def test_glibc_too_old_for_the_wheel() -> None:
    files = [dist("x-1.0-cp312-cp312-manylinux_2_39_x86_64.whl")]
    assert wheels.availability(files, target(version=(2, 36))).status == "none"
    assert wheels.availability(files, target(version=(2, 41))).status == "wheel"


def test_abi3_wheel_serves_later_pythons_only() -> None:
    files = [dist("x-1.0-cp37-abi3-musllinux_1_2_x86_64.whl")]
    assert wheels.availability(files, target((3, 12), "musl", (1, 2))).status == "wheel"
    assert wheels.availability(files, target((3, 6), "musl", (1, 2))).status == "none"


def test_musllinux_1_2_needs_musl_1_2() -> None:
    files = [dist("x-1.0-cp39-cp39-musllinux_1_2_x86_64.whl"), dist("x-1.0.tar.gz")]
    assert wheels.availability(files, target((3, 9), "musl", (1, 1))).status == "source"
    assert wheels.availability(files, target((3, 9), "musl", (1, 2))).status == "wheel"


def test_pure_python_wheel_installs_everywhere() -> None:
    files = [dist("x-1.0-py2.py3-none-any.whl")]
    for t in (target(), target((3, 8), "musl", (1, 1)), target((2, 7), "musl", (1, 1)), target(arch="aarch64")):
        assert wheels.availability(files, t).status == "pure"


def test_a_compiled_wheel_is_preferred_to_the_pure_one() -> None:
    files = [dist("x-1.0-py3-none-any.whl"), dist("x-1.0-cp312-cp312-manylinux_2_28_x86_64.whl")]
    assert wheels.availability(files, target()).platform == "manylinux_2_28_x86_64"
    assert wheels.availability(files, target((3, 11))).status == "pure"


def test_requires_python_excludes_files() -> None:
    files = [dist("x-1.0-py3-none-any.whl", ">=3.10"), dist("x-1.0.tar.gz", ">=3.10")]
    assert wheels.availability(files, target((3, 8))).status == "none"
    assert wheels.availability(files, target((3, 10))).status == "pure"


def test_python_2_and_37_abis() -> None:
    assert wheels.availability([dist("x-1.0-cp27-cp27mu-manylinux1_x86_64.whl")], target((2, 7))).status == "wheel"
    assert wheels.availability([dist("x-1.0-cp27-cp27m-manylinux1_x86_64.whl")], target((2, 7))).status == "none"
    assert wheels.availability([dist("x-1.0-cp37-cp37m-manylinux1_x86_64.whl")], target((3, 7))).status == "wheel"


def test_architecture_must_match() -> None:
    files = [dist("x-1.0-cp312-cp312-manylinux_2_17_aarch64.whl")]
    assert wheels.availability(files, target(arch="aarch64")).status == "wheel"
    assert wheels.availability(files, target()).status == "none"


def test_only_windows_and_mac_wheels_mean_nothing_installs() -> None:
    files = [dist("x-1.0-cp312-cp312-win_amd64.whl"), dist("x-1.0-cp312-cp312-macosx_11_0_arm64.whl")]
    assert wheels.availability(files, target()).status == "none"


def test_file_versions() -> None:
    assert str(wheels.file_version("Flask-SocketIO-5.0.1.tar.gz", "flask-socketio")) == "5.0.1"
    assert str(wheels.file_version("flask_socketio-5.3.6-py3-none-any.whl", "flask-socketio")) == "5.3.6"
    assert wheels.file_version("other-1.0.tar.gz", "flask-socketio") is None
    assert wheels.file_version("x-not.a.version.tar.gz", "x") is None
    assert wheels.file_version("x-1.0.exe", "x") is None


# --- the targets of an image --------------------------------------------------------------------------


def test_targets_of_an_alpine_tag() -> None:
    found = wheels.targets_for("python:3.9-alpine3.12", "bookworm", None)
    assert found.alpine.libc_version == (1, 1)
    assert found.alpine.python == found.debian.python == (3, 9)
    assert found.debian.image == "python:3.9-slim-bookworm"
    assert found.debian.libc_version == (2, 36)
    assert wheels.targets_for("python:3.9-alpine3.13", "bookworm", None).alpine.libc_version == (1, 2)


def test_python_3_means_the_newest_minor() -> None:
    # the fact data's README: today python:3-alpine points to 3.14
    assert wheels.targets_for("python:3-alpine", "trixie", None).alpine.python == (3, 14)
    assert wheels.targets_for("python:alpine", "trixie", None).debian.image == "python:slim-trixie"


def test_a_patch_version_is_kept() -> None:
    found = wheels.targets_for("python:3.8.5-alpine", "buster", None)
    assert found.alpine.python_full == "3.8.5"
    assert found.alpine.libc_version == (1, 1)  # 3.8.5 was last built on Alpine 3.12


def test_platforms() -> None:
    assert wheels.targets_for("python:3.12-alpine", "trixie", "linux/arm64").debian.arch == "aarch64"
    build_time = wheels.targets_for("python:3.12-alpine", "trixie", "$BUILDPLATFORM")
    assert build_time.debian.arch == "x86_64"
    assert "decided at build time" in build_time.notes[0]
    odd = wheels.targets_for("python:3.12-alpine", "trixie", "linux/mips64le")
    assert odd.platform == "linux/amd64" and "not one dockerfix knows" in odd.notes[0]


# --- the PyPI client ------------------------------------------------------------------------------------


class FakeIndex:
    """Answers a PyPI client's requests from a dict (bytes, or an exception to raise); counts them."""

    def __init__(self, answers: dict[str, object]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def __call__(self, url: str, headers: dict[str, str], timeout: float) -> bytes:
        self.asked.append(url)
        answer = self.answers.get(url, urllib.error.HTTPError(url, 404, "Not Found", {}, None))
        if isinstance(answer, Exception):
            raise answer
        return answer


PAGE = {"meta": {"api-version": "1.1"}, "name": "x", "files": [
    {"filename": "x-1.0-py3-none-any.whl", "url": "https://files.example/x-1.0-py3-none-any.whl", "requires-python": None, "yanked": False, "hashes": {}, "size": 10},
]}  # fmt: skip


def test_a_project_page_is_fetched_once_and_cached(tmp_path: Path) -> None:
    fetch = FakeIndex({"https://pypi.org/simple/x/": json.dumps(PAGE).encode()})
    assert [f.filename for f in PyPI(cache=tmp_path, fetch=fetch).project("X").files] == ["x-1.0-py3-none-any.whl"]
    assert "hashes" not in (tmp_path / "x.json").read_text()  # trimmed
    again = PyPI(cache=tmp_path, fetch=fetch).project("x")
    assert again.files[0].filename == "x-1.0-py3-none-any.whl"
    assert fetch.asked == ["https://pypi.org/simple/x/"]


def test_a_stale_page_is_fetched_again(tmp_path: Path) -> None:
    fetch = FakeIndex({"https://pypi.org/simple/x/": json.dumps(PAGE).encode()})
    PyPI(cache=tmp_path, fetch=fetch).project("x")
    PyPI(cache=tmp_path, fetch=fetch, max_age=0).project("x")
    assert len(fetch.asked) == 2


def test_offline_reads_only_the_cache(tmp_path: Path) -> None:
    fetch = FakeIndex({})
    with pytest.raises(Unavailable, match="offline and not in the cache"):
        PyPI(offline=True, cache=tmp_path, fetch=fetch).project("x")
    (tmp_path / "x.json").write_text(json.dumps(PAGE))
    assert PyPI(offline=True, cache=tmp_path, fetch=fetch, max_age=0).project("x").files
    assert fetch.asked == []


def test_an_unknown_project_has_no_files(tmp_path: Path) -> None:
    assert PyPI(cache=tmp_path, fetch=FakeIndex({})).project("nope").files == ()


def test_unreachable_pypi_falls_back_to_a_stale_cache_and_stops_asking(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text(json.dumps(PAGE))
    fetch = FakeIndex({"https://pypi.org/simple/x/": urllib.error.URLError("no route"), "https://pypi.org/simple/y/": b"{}"})
    index = PyPI(cache=tmp_path, fetch=fetch, max_age=0)
    assert index.project("x").files
    with pytest.raises(Unavailable, match="PyPI unreachable"):
        index.project("y")
    assert fetch.asked == ["https://pypi.org/simple/x/"]


def test_metadata_from_the_metadata_file(tmp_path: Path) -> None:
    wheel = DistFile("x-1.0-py3-none-any.whl", "https://files.example/x-1.0-py3-none-any.whl", None, False, True, 10)
    body = b"Metadata-Version: 2.1\nName: x\nVersion: 1.0\nRequires-Dist: six>=1.0\nSummary: s\n\nlong description\nRequires-Dist: no\n"
    fetch = FakeIndex({"https://files.example/x-1.0-py3-none-any.whl.metadata": body})
    assert PyPI(cache=tmp_path, fetch=fetch).requires_dist(wheel) == ("six>=1.0",)
    assert "Summary" not in (tmp_path / "x-1.0-py3-none-any.whl.metadata").read_text()


def test_metadata_read_from_a_small_wheel_when_there_is_no_metadata_file(tmp_path: Path) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("x-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: x\nRequires-Dist: idna\n")
    wheel = DistFile("x-1.0-py3-none-any.whl", "https://files.example/x-1.0-py3-none-any.whl", None, False, None, 200)
    fetch = FakeIndex({"https://files.example/x-1.0-py3-none-any.whl": archive.getvalue()})
    assert PyPI(cache=tmp_path, fetch=fetch).requires_dist(wheel) == ("idna",)
    large = DistFile(wheel.filename, wheel.url, None, False, None, wheels.MAX_WHEEL_READ + 1)
    with pytest.raises(Unavailable):
        PyPI(cache=tmp_path / "other", fetch=fetch).requires_dist(large)


def test_cache_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(wheels.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert wheels.cache_dir() == tmp_path / "dockerfix" / "pypi"
    monkeypatch.setenv(wheels.CACHE_ENV, str(tmp_path / "own"))
    assert wheels.cache_dir() == tmp_path / "own"


# --- the dependency walk, on recorded answers ------------------------------------------------------------


def resolve(*texts: str, python=(3, 12), constraints=()) -> dict[str, wheels.Resolved]:
    requirements = [parse_requirement(t, "test", 1) for t in texts]
    pins = [parse_requirement(t, "test", 1) for t in constraints]
    rows = wheels.resolve(requirements, pins, target(python, full="%d.%d.20" % python), recorded())
    return {row.name: row for row in rows}


def test_unpinned_takes_the_newest_release_for_the_python() -> None:
    # cffi 2.x and pycparser 3.x require Python >= 3.10: Python 3.8 gets cffi 1.17.1 and pycparser 2.22
    old = resolve("cffi", python=(3, 8))
    assert (old["cffi"].version, old["pycparser"].version) == ("1.17.1", "2.22")
    new = resolve("cffi", python=(3, 12))
    assert (new["cffi"].version, new["pycparser"].version) == ("2.1.1", "3.12")
    assert not new["pycparser"].direct and new["pycparser"].origin == "cffi"


def test_pinned_and_unpinned() -> None:
    assert resolve("six==1.16.0")["six"].version == "1.16.0"
    assert resolve("six")["six"].version == "1.17.0"
    assert resolve("markupsafe", python=(3, 8))["markupsafe"].version == "2.1.5"  # 3.x: Python >= 3.9


def test_a_constraint_pins_a_requirement() -> None:
    assert resolve("six", constraints=["six==1.16.0"])["six"].version == "1.16.0"


def test_markers_are_evaluated_for_the_image() -> None:
    assert "six" not in resolve('six; python_version < "3"', "uwsgi")
    assert "six" in resolve('six; platform_machine == "x86_64"')


def test_extras_bring_their_dependencies() -> None:
    plain = resolve("cryptography==42.0.5")
    assert set(plain) == {"cryptography", "cffi", "pycparser"}
    with_ssh = resolve("cryptography[ssh]==42.0.5")
    assert with_ssh["bcrypt"].problem.startswith("offline and not in the cache")


def test_urls_and_missing_projects_are_not_checked() -> None:
    found = resolve("git+https://example.org/x.git#egg=x", "not-recorded==1.0")
    assert found["x"].problem == "VCS link: not checked"
    assert "offline" in found["not-recorded"].problem


def test_no_release_for_the_python() -> None:
    assert resolve("pycparser==3.12", python=(3, 8))["pycparser"].problem == "no release matches ==3.12 for Python 3.8.20"


def _synthetic(cache: Path, name: str, releases: dict[str, list[str]]) -> None:
    """A project page with one pure wheel per release, and its metadata (Requires-Dist lines)."""
    files = []
    for version, requires in releases.items():
        filename = f"{name}-{version}-py3-none-any.whl"
        files.append({"filename": filename, "url": f"https://files.example/{filename}", "requires-python": None, "yanked": False})
        (cache / f"{filename}.metadata").write_text("".join(f"Requires-Dist: {r}\n" for r in requires))
    (cache / f"{name}.json").write_text(json.dumps({"meta": {"api-version": "1.1"}, "name": name, "files": files}))


def test_a_dependency_goes_back_to_a_release_that_fits_a_pin(tmp_path: Path) -> None:
    _synthetic(tmp_path, "plugin", {"1.0": ["host<2"], "2.0": ["host>=2"], "3.0": ["host>=3"]})
    _synthetic(tmp_path, "host", {"1.5": [], "2.0": [], "3.0": []})
    rows = wheels.resolve(
        [parse_requirement("host==1.5", "t", 1), parse_requirement("plugin", "t", 1)], [], target(), PyPI(offline=True, cache=tmp_path)
    )
    found = {r.name: r for r in rows}
    assert (found["host"].version, found["plugin"].version) == ("1.5", "1.0")
    assert found["host"].conflict is None and found["plugin"].conflict is None


def test_a_pin_no_release_fits_is_reported(tmp_path: Path) -> None:
    _synthetic(tmp_path, "plugin", {"2.0": ["host>=2"]})
    _synthetic(tmp_path, "host", {"1.5": [], "2.0": []})
    rows = wheels.resolve(
        [parse_requirement("host==1.5", "t", 1), parse_requirement("plugin", "t", 1)], [], target(), PyPI(offline=True, cache=tmp_path)
    )
    found = {r.name: r for r in rows}
    assert found["host"].version == "1.5"
    assert found["plugin"].conflict == "plugin 2.0 needs host>=2, which the pin host==1.5 excludes"


def test_yanked_releases_only_when_pinned(tmp_path: Path) -> None:
    files = [
        {"filename": "y-1.0-py3-none-any.whl", "url": "https://e/y-1.0-py3-none-any.whl", "yanked": False},
        {"filename": "y-1.1-py3-none-any.whl", "url": "https://e/y-1.1-py3-none-any.whl", "yanked": "broken"},
    ]
    (tmp_path / "y.json").write_text(json.dumps({"meta": {}, "name": "y", "files": files}))
    index = PyPI(offline=True, cache=tmp_path)
    assert wheels.resolve([parse_requirement("y", "t", 1)], [], target(), index)[0].version == "1.0"
    assert wheels.resolve([parse_requirement("y==1.1", "t", 1)], [], target(), index)[0].version == "1.1"
