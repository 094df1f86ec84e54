"""``dockerfix explain``: the table and verdict, on PyPI answers recorded in tests/data/pypi.

Expected cells were read off the recorded pages by hand: cffi 1.17.1 has manylinux wheels for
cp38 but musllinux wheels only from cp39 on; cffi 2.x and pycparser 3.x need Python >= 3.10;
msgpack 1.1.0 has only musllinux_1_2 wheels (musl >= 1.2, Alpine >= 3.13); uwsgi has only sdists;
six is pure Python; cryptography 42.0.5 ships cp39-abi3 wheels.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rewriter import wheels
from rewriter.explain import explain_paths, explain_text, verdict
from rewriter.settings import Settings

RECORDED = Path(__file__).parent / "data" / "pypi"


def index() -> wheels.PyPI:
    return wheels.PyPI(offline=True, cache=RECORDED)


def explain(text: str, context: Path | None = None, settings: Settings = Settings()):
    return explain_text(text, "Dockerfile", settings, index(), context)


def cells(text: str) -> dict[str, tuple[str | None, str, str | None, str, str | None]]:
    """name -> (version, Alpine status, Alpine platform, Debian status, Debian platform)."""
    (stage,) = explain(text).stages
    return {
        row.display: (row.version, a.status, a.platform, d.status, d.platform)
        for row, a, d in zip(stage.rows, stage.alpine, stage.debian)
    }


@pytest.mark.parametrize(
    "image, requirement, expected",
    [
        # manylinux but no musllinux wheel (cp38)
        ("3.8-alpine", "cffi==1.17.1", ("1.17.1", "source", None, "wheel", "manylinux_2_17_x86_64")),
        # both (cp312): the same release has a musllinux wheel there
        ("3.12-alpine", "cffi==1.17.1", ("1.17.1", "wheel", "musllinux_1_1_x86_64", "wheel", "manylinux_2_17_x86_64")),
        # sdist only, unpinned: the newest release
        ("3.12-alpine", "uwsgi", ("2.0.31", "source", None, "source", None)),
        # pure Python, pinned and unpinned
        ("3.12-alpine", "six==1.16.0", ("1.16.0", "pure", None, "pure", None)),
        ("3.12-alpine", "six", ("1.17.0", "pure", None, "pure", None)),
        # musl 1.1 (Alpine 3.12) vs 1.2 (Alpine 3.13)
        ("3.9-alpine3.12", "msgpack==1.1.0", ("1.1.0", "source", None, "wheel", "manylinux_2_17_x86_64")),
        ("3.9-alpine3.13", "msgpack==1.1.0", ("1.1.0", "wheel", "musllinux_1_2_x86_64", "wheel", "manylinux_2_17_x86_64")),
        # unpinned, the newest release for the image's Python: 2.x needs Python >= 3.10
        ("3.8-alpine", "cffi", ("1.17.1", "source", None, "wheel", "manylinux_2_17_x86_64")),
        ("3.12-alpine", "cffi", ("2.1.1", "wheel", "musllinux_1_2_x86_64", "wheel", "manylinux_2_17_x86_64")),
    ],
)
def test_availability_per_image(image: str, requirement: str, expected: tuple) -> None:
    found = cells(f"FROM python:{image}\nRUN pip install {requirement}\n")
    assert found[requirement.split("==")[0]] == expected


def test_abi3_wheel_for_a_later_python() -> None:
    found = cells("FROM python:3.12-alpine\nRUN pip install cryptography==42.0.5\n")
    assert found["cryptography"][1:] == ("wheel", "musllinux_1_2_x86_64", "wheel", "manylinux_2_28_x86_64")


def test_arm64_from_the_from_platform() -> None:
    found = cells("FROM --platform=linux/arm64 python:3.12-alpine\nRUN pip install cffi==1.17.1\n")
    assert found["cffi"][2::2] == ("musllinux_1_1_aarch64", "manylinux_2_17_aarch64")


def test_the_report_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (
        "FROM python:3.8-alpine\n"
        "RUN apk add --no-cache gcc musl-dev libffi-dev\n"
        'RUN pip install cffi==1.17.1 "six; python_version < \\"3\\"" git+https://example.org/x.git#egg=x\n'
    )
    (tmp_path / "Dockerfile").write_text(text)
    monkeypatch.chdir(tmp_path)
    result, data = explain_paths(["Dockerfile"], Settings(), offline=True, index=index())
    assert result == (
        "Dockerfile:\n"
        "  stage 0, line 1: python:3.8-alpine -> python:3.8-slim-bookworm, linux/amd64, Python 3.8\n"
        "    requirement  version  from      Alpine (musl 1.2)    Debian (glibc 2.36)\n"
        "    cffi         1.17.1   line 3    source build         wheel (manylinux_2_17)\n"
        "    x            -        line 3    not checked          not checked\n"
        "    pycparser    2.22     via cffi  wheel (pure Python)  wheel (pure Python)\n"
        "  => 1 of 2 requirements compiles from source on python:3.8-alpine;"
        " all 2 install from wheels on python:3.8-slim-bookworm (1 more could not be checked)\n"
        "  note: line 3: x: VCS link: not checked\n"
    )
    (stage,) = data["files"][0]["stages"]
    assert stage["alpine"] == {"image": "python:3.8-alpine", "libc": "musl 1.2", "wheels": 1, "source_builds": 1, "no_file": 0}
    assert stage["debian"]["source_builds"] == 0 and stage["debian"]["wheels"] == 2
    assert (stage["checked"], stage["unchecked"]) == (2, 1)
    assert [r["name"] for r in stage["requirements"]] == ["cffi", "x", "pycparser"]
    assert stage["requirements"][0]["debian"]["file"] == "cffi-1.17.1-cp38-cp38-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    assert data["verdicts"] == ["Dockerfile: " + stage["verdict"]]
    json.dumps(data)  # ready for the JSON report


def test_requirements_file_beside_the_dockerfile(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-alpine\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n")
    (tmp_path / "requirements.txt").write_text("six==1.16.0\nuwsgi==2.0.28\n")
    text, data = explain_paths([str(tmp_path)], Settings(), offline=True, index=index())
    (stage,) = data["files"][0]["stages"]
    assert [(r["name"], r["origin"]) for r in stage["requirements"]] == [("six", "requirements.txt:1"), ("uwsgi", "requirements.txt:2")]
    assert stage["verdict"] == "1 of 2 requirements compiles from source on python:3.12-alpine; 1 of 2 compiles from source on python:3.12-slim-trixie"
    assert stage["verdict"] in text


def test_offline_without_cache_says_why(tmp_path: Path) -> None:
    result = explain_text("FROM python:3.12-alpine\nRUN pip install six\n", "Dockerfile", Settings(), wheels.PyPI(offline=True, cache=tmp_path), None)
    (stage,) = result.stages
    assert stage.verdict == "none of the 1 requirement could be checked"
    assert stage.notes[0].message.startswith("six: offline and not in the cache")


def test_nothing_to_explain() -> None:
    assert explain("FROM debian:bookworm\nRUN pip install six\n").notes == ["no python Alpine stage: nothing to compare"]
    assert explain("FROM python:3.12-alpine\nRUN echo hi\n").notes == [
        "no Python requirements found (pip install, requirement files, poetry/uv/pipenv lock files)"
    ]
    assert explain("FROM python:3.12-alpine\nRUN <<EOF\n").error is not None


def test_missing_path_is_an_error() -> None:
    _text, data = explain_paths(["/nonexistent/Dockerfile"], Settings(), offline=True, index=index())
    assert data["files"] == [{"path": "/nonexistent/Dockerfile", "error": "no such file or folder", "notes": [], "stages": []}]


def test_codename_setting_changes_the_debian_side() -> None:
    (stage,) = explain("FROM python:3.12-alpine\nRUN pip install six\n", settings=Settings(codename="bookworm")).stages
    assert stage.targets.debian.image == "python:3.12-slim-bookworm"


@pytest.mark.parametrize(
    "counts, expected",
    [
        ((23, 0, (7, 0, "A"), (0, 0, "D")), "7 of 23 requirements compile from source on A; all 23 install from wheels on D"),
        ((1, 0, (1, 0, "A"), (0, 0, "D")), "1 of 1 requirement compiles from source on A; it installs from a wheel on D"),
        ((1, 0, (0, 0, "A"), (0, 0, "D")), "the only requirement installs from a wheel on A; it installs from a wheel on D"),
        ((5, 2, (0, 0, "A"), (1, 0, "D")), "all 5 requirements install from wheels on A; 1 of 5 compiles from source on D (2 more could not be checked)"),
        ((4, 0, (2, 1, "A"), (0, 0, "D")), "2 of 4 requirements compile from source on A and 1 has no file that installs there; all 4 install from wheels on D"),
        ((3, 0, (0, 2, "A"), (0, 0, "D")), "2 of 3 requirements have no file that installs on A; all 3 install from wheels on D"),
        ((0, 3, (0, 0, "A"), (0, 0, "D")), "none of the 3 requirements could be checked"),
        ((0, 0, (0, 0, "A"), (0, 0, "D")), "no Python requirements found"),
    ],
)
def test_verdicts(counts: tuple, expected: str) -> None:
    assert verdict(*counts) == expected


def test_only_requirements_that_cannot_be_read() -> None:
    (stage,) = explain("FROM python:3.12-alpine\nRUN pip install -r requirements.txt\n").stages
    assert stage.verdict == "no requirement could be read (see the notes)"
    assert [n.message for n in stage.notes] == ["requirements file requirements.txt: /requirements.txt was not copied from the build context"]


def test_the_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from rewriter.cli import SUBCOMMANDS

    monkeypatch.setenv("DOCKERFIX_PYPI_CACHE", str(RECORDED))
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-alpine\nRUN pip install uwsgi==2.0.28\n")
    runner = CliRunner()
    text = runner.invoke(SUBCOMMANDS["explain"], ["--offline", str(tmp_path)])
    assert text.exit_code == 0, text.output
    assert "=> 1 of 1 requirement compiles from source on python:3.12-alpine; 1 of 1 compiles from source on python:3.12-slim-trixie" in text.output
    data = runner.invoke(SUBCOMMANDS["explain"], ["--offline", "--format", "json", "--codename", "bookworm", "--platform", "linux/arm64", str(tmp_path)])
    (stage,) = json.loads(data.output)["files"][0]["stages"]
    assert (stage["debian"]["image"], stage["platform"]) == ("python:3.12-slim-bookworm", "linux/arm64")
    missing = runner.invoke(SUBCOMMANDS["explain"], ["--offline", str(tmp_path / "nope")])
    assert missing.exit_code == 123
