"""The image-reference decision, checked against the published tag list.

Every expected tag in these tables was looked up by hand in
/work/shared/data/python-tags-all.txt (grep '^3.13.5-slim-' etc.).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import rewriter
from rewriter import codenames
from rewriter.images import (
    ImageRef,
    decide,
    emittable_tags,
    is_python_alpine,
    newest_codename,
    parse_ref,
    published_tags,
)

DATA = Path(rewriter.__file__).parent / "data" / "python-tags.txt"
SHARED = Path("/work/shared/data/python-tags-all.txt")
TAGS = frozenset(line for line in DATA.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#"))
ALPINE_TAGS = sorted(t for t in TAGS if "alpine" in t)
DIGEST = "sha256:" + "0123456789abcdef" * 4
CODENAME_OPTIONS = (None, *codenames.CODENAMES)

# (reference, requested codename, variables, expected new reference, substrings of the notes)
CASES = [
    # every version form, newest codename published for it
    ("python:3.11-alpine", None, None, "python:3.11-slim-trixie", []),
    ("python:3.11-alpine3.18", None, None, "python:3.11-slim-trixie", []),
    ("python:3.11.4-alpine3.18", None, None, "python:3.11.4-slim-bookworm",
     ["published for python 3.11.4 (none on trixie)", "bookworm (Debian 12), the newest",
      "python:3.11-slim-trixie exists"]),
    ("python:alpine", None, None, "python:slim-trixie", []),
    ("python:alpine3.19", None, None, "python:slim-trixie", []),
    ("python:3-alpine", None, None, "python:3-slim-trixie", []),
    ("python:3-alpine3.24", None, None, "python:3-slim-trixie", []),
    ("python:2-alpine", None, None, "python:2-slim-buster", ["(none on trixie)", "buster (Debian 10)"]),
    ("python:2.7-alpine", None, None, "python:2.7-slim-buster", ["buster (Debian 10), the newest"]),
    ("python:2.7-alpine3.11", None, None, "python:2.7-slim-buster", ["published for python 2.7 (none on trixie)"]),
    ("python:2.7.18-alpine", None, None, "python:2.7.18-slim-buster", ["using buster (Debian 10)", "(none on trixie)"]),
    ("python:3.4-alpine", None, None, "python:3.4-slim-stretch", ["stretch (Debian 9)"]),
    ("python:3.5-alpine3.12", None, None, "python:3.5-slim-buster", ["buster (Debian 10)"]),
    ("python:3.6-alpine", None, None, "python:3.6-slim-bullseye", ["using bullseye (Debian 11)", "(none on trixie)"]),
    ("python:3.6.15-alpine3.15", None, None, "python:3.6.15-slim-bullseye", ["bullseye (Debian 11)"]),
    ("python:3.7-alpine", None, None, "python:3.7-slim-bookworm", ["using bookworm (Debian 12)", "(none on trixie)"]),
    ("python:3.7.17-alpine3.18", None, None, "python:3.7.17-slim-bookworm", ["bookworm (Debian 12)"]),
    ("python:3.8-alpine", None, None, "python:3.8-slim-bookworm",
     ["using bookworm (Debian 12), the newest Debian release published for python 3.8 (none on trixie)"]),
    ("python:3.8.20-alpine3.20", None, None, "python:3.8.20-slim-bookworm", ["published for python 3.8.20 (none on trixie)"]),
    ("python:3.9-alpine", None, None, "python:3.9-slim-trixie", []),
    ("python:3.10-alpine3.24", None, None, "python:3.10-slim-trixie", []),
    ("python:3.10.8-alpine", None, None, "python:3.10.8-slim-bullseye",
     ["published for python 3.10.8 (none on trixie)", "the pin to 3.10.8 is kept", "python:3.10-slim-trixie exists"]),
    ("python:3.12-alpine", None, None, "python:3.12-slim-trixie", []),
    ("python:3.13-alpine", None, None, "python:3.13-slim-trixie", []),
    ("python:3.13.5-alpine", None, None, "python:3.13.5-slim-bookworm",
     ["published for python 3.13.5 (none on trixie)", "python:3.13-slim-trixie exists"]),
    ("python:3.13.6-alpine3.22", None, None, "python:3.13.6-slim-trixie", []),
    ("python:3.13.7-alpine", None, None, "python:3.13.7-slim-trixie", []),
    ("python:3.14-alpine3.24", None, None, "python:3.14-slim-trixie", []),
    ("python:3.14.7-alpine", None, None, "python:3.14.7-slim-trixie", []),
    # pre-releases and the moving -rc tags
    ("python:3.12.0a3-alpine", None, None, "python:3.12.0a3-slim-bullseye",
     ["published for python 3.12.0a3 (none on trixie)", "bullseye (Debian 11)", "python:3.12-slim-trixie exists"]),
    ("python:3.12.0rc1-alpine3.18", None, None, "python:3.12.0rc1-slim-bookworm", ["bookworm (Debian 12)"]),
    ("python:3.15-rc-alpine", None, None, "python:3.15-rc-slim-trixie", []),
    ("python:3.15-rc-alpine3.24", None, None, "python:3.15-rc-slim-trixie", []),
    ("python:3.15.0a2-alpine", None, None, "python:3.15.0a2-slim-trixie", []),
    ("python:3.14.0rc1-alpine", None, None, "python:3.14.0rc1-slim-trixie", []),
    ("python:rc-alpine", None, None, "python:rc-slim-bullseye", ["published for python rc (none on trixie)"]),
    ("python:3.7-rc-alpine", None, None, "python:3.7-rc-slim-stretch", ["stretch (Debian 9)"]),
    ("python:3.9.0b5-alpine3.12", None, None, "python:3.9.0b5-slim-buster", ["buster (Debian 10)"]),
    # a requested codename: used when published, else the closest published one
    ("python:3.11-alpine", "bookworm", None, "python:3.11-slim-bookworm", []),
    ("python:3.11-alpine", "bullseye", None, "python:3.11-slim-bullseye", []),
    ("python:3.11-alpine", "buster", None, "python:3.11-slim-buster", []),
    ("python:3.11-alpine", "jessie", None, "python:3.11-slim-buster",
     ["python:3.11-slim-jessie was never published", "buster (Debian 10), the closest"]),
    ("python:3.8-alpine", "trixie", None, "python:3.8-slim-bookworm", ["3.8-slim-trixie was never published", "the closest"]),
    ("python:3.12-alpine", "buster", None, "python:3.12-slim-bullseye", ["python:3.12-slim-buster was never published"]),
    ("python:3.14-alpine", "bullseye", None, "python:3.14-slim-bookworm", ["python:3.14-slim-bullseye was never published"]),
    ("python:3.13.5-alpine", "trixie", None, "python:3.13.5-slim-bookworm",
     ["3.13.5-slim-trixie was never published", "the pin to 3.13.5 is kept", "python:3.13-slim-trixie exists"]),
    ("python:3.13.5-alpine", "bullseye", None, "python:3.13.5-slim-bullseye", []),
    ("python:2.7-alpine", "bookworm", None, "python:2.7-slim-buster", ["2.7-slim-bookworm was never published"]),
    ("python:alpine", "jessie", None, "python:slim-jessie", []),
    ("python:alpine", "wheezy", None, "python:slim-jessie", ["python:slim-wheezy was never published", "jessie (Debian 8)"]),
    ("python:3-alpine", "stretch", None, "python:3-slim-stretch", []),
    ("python:3.6-alpine", "trixie", None, "python:3.6-slim-bullseye", ["3.6-slim-trixie was never published"]),
    ("python:3.4-alpine", "wheezy", None, "python:3.4-slim-jessie", ["3.4-slim-wheezy was never published"]),
    ("python:3.12.0a3-alpine", "bookworm", None, "python:3.12.0a3-slim-bullseye",
     ["3.12.0a3-slim-bookworm was never published", "python:3.12-slim-bookworm exists"]),
    ("python:3.15-rc-alpine", "bullseye", None, "python:3.15-rc-slim-bookworm", ["3.15-rc-slim-bullseye was never published"]),
    ("python:rc-alpine", "trixie", None, "python:rc-slim-bullseye", ["rc-slim-trixie was never published"]),
    # versions never published as any slim-<codename> tag: left alone
    ("python:3.6.1-alpine", None, None, None,
     ["python:3.6.1-slim-<codename> was never published", "python:3.6-slim-bullseye exists"]),
    ("python:3.3-alpine", None, None, None, ["python:3.3-slim-<codename> was never published"]),
    ("python:3.3.7-alpine3.4", "jessie", None, None, ["python:3.3.7-slim-<codename> was never published"]),
    ("python:3.9.0a1-alpine", None, None, None, ["3.9.0a1-slim-<codename> was never published", "python:3.9-slim-trixie exists"]),
    ("python:3.5.3-alpine3.4", None, None, None, ["python:3.5-slim-buster exists"]),
    ("python:3.6-rc-alpine", None, None, None, ["3.6-rc-slim-<codename> was never published", "python:3.6-slim-bullseye"]),
    ("python:3.99-alpine", None, None, None, ["python:3.99-slim-<codename> was never published"]),
    # an Alpine tag that was never official: decided by its version
    ("python:3.11.4-alpine3.12", None, None, "python:3.11.4-slim-bookworm", ["python:3.11.4-alpine3.12 was never an official tag"]),
    ("python:3.13-alpine3.15", None, None, "python:3.13-slim-trixie", ["python:3.13-alpine3.15 was never an official tag"]),
    # digests
    (f"python:3.11-alpine@{DIGEST}", None, None, "python:3.11-slim-trixie",
     ["digest belonged to the Alpine image", "the new tag is unpinned", "pin it again"]),
    (f"python:3.13-alpine3.21@{DIGEST}", None, None, "python:3.13-slim-trixie", ["digest belonged to the Alpine image"]),
    (f"docker.io/library/python:3.12-alpine@{DIGEST}", None, None, "docker.io/library/python:3.12-slim-trixie", ["pin it again"]),
    (f"python:3.8-alpine@{DIGEST}", "trixie", None, "python:3.8-slim-bookworm",
     ["3.8-slim-trixie was never published", "digest belonged to the Alpine image"]),
    # registry prefixes are kept verbatim
    ("docker.io/library/python:3.11-alpine", None, None, "docker.io/library/python:3.11-slim-trixie", []),
    ("docker.io/python:3.11-alpine", None, None, "docker.io/python:3.11-slim-trixie", []),
    ("library/python:3.11-alpine", None, None, "library/python:3.11-slim-trixie", []),
    ("index.docker.io/library/python:3.11-alpine", None, None, "index.docker.io/library/python:3.11-slim-trixie", []),
    ("registry-1.docker.io/library/python:3-alpine", None, None, "registry-1.docker.io/library/python:3-slim-trixie", []),
    ("public.ecr.aws/docker/library/python:3.12-alpine3.20", None, None, "public.ecr.aws/docker/library/python:3.12-slim-trixie", []),
    ("mirror.gcr.io/library/python:3.10-alpine", None, None, "mirror.gcr.io/library/python:3.10-slim-trixie", []),
    ("registry.example.com/python:3.11-alpine", None, None, "registry.example.com/python:3.11-slim-trixie", []),
    ("registry.example.com/library/python:3.11-alpine", "bookworm", None,
     "registry.example.com/library/python:3.11-slim-bookworm", []),
    ("registry.example.com:5000/mirror/library/python:3.9-alpine", None, None,
     "registry.example.com:5000/mirror/library/python:3.9-slim-trixie", []),
    ("localhost:5000/python:alpine", None, None, "localhost:5000/python:slim-trixie", []),
    ("localhost/python:3-alpine", None, None, "localhost/python:3-slim-trixie", []),
    ("gitlab.example.com:443/group/dependency_proxy/containers/python:3.11-alpine", None, None,
     "gitlab.example.com:443/group/dependency_proxy/containers/python:3.11-slim-trixie", []),
    ("${REGISTRY}/python:3.11-alpine", None, None, "${REGISTRY}/python:3.11-slim-trixie", []),
    ("${REGISTRY}/library/python:3.11-alpine", None, None, "${REGISTRY}/library/python:3.11-slim-trixie", []),
    ("$CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX/python:3.12-alpine", None, None,
     "$CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX/python:3.12-slim-trixie", []),
    # variables: decided with the known value, written as they were
    ("python:${PYTHON_VERSION}-alpine", None, {"PYTHON_VERSION": "3.12"}, "python:${PYTHON_VERSION}-slim-trixie",
     ["checked with PYTHON_VERSION=3.12", "a --build-arg may select a version"]),
    ("python:$PYTHON_VERSION-alpine", None, {"PYTHON_VERSION": "3.8"}, "python:$PYTHON_VERSION-slim-bookworm",
     ["published for python 3.8 (none on trixie)", "checked with PYTHON_VERSION=3.8", "--build-arg"]),
    ("python:${PYTHON_VERSION}-alpine", None, None, None, ["${PYTHON_VERSION} has no default", "cannot check that the tag exists"]),
    ("python:${PYTHON_VERSION}-alpine", "bookworm", {"OTHER": "3.11"}, None, ["${PYTHON_VERSION} has no default"]),
    ("python:${PYTHON_VERSION:-3.11}-alpine", None, None, "python:${PYTHON_VERSION:-3.11}-slim-trixie",
     ["checked with PYTHON_VERSION=3.11"]),
    ("python:${PYTHON_VERSION:-3.11}-alpine", None, {"PYTHON_VERSION": "3.8"}, "python:${PYTHON_VERSION:-3.11}-slim-bookworm",
     ["checked with PYTHON_VERSION=3.8"]),
    ("python:3.11-alpine${ALPINE_VERSION}", None, None, "python:3.11-slim-trixie",
     ["${ALPINE_VERSION} is no longer used in this reference", "its ARG may now be unused"]),
    ("python:${PYTHON_VERSION}-alpine${ALPINE_VERSION}", None, {"PYTHON_VERSION": "3.10", "ALPINE_VERSION": "3.20"},
     "python:${PYTHON_VERSION}-slim-trixie", ["checked with PYTHON_VERSION=3.10", "${ALPINE_VERSION} is no longer used"]),
    ("python:${PY_MAJOR}.${PY_MINOR}-alpine", None, {"PY_MAJOR": "3", "PY_MINOR": "7"},
     "python:${PY_MAJOR}.${PY_MINOR}-slim-bookworm", ["checked with PY_MAJOR=3, PY_MINOR=7"]),
    ("python:${PYTHON_VERSION}-alpine", None, {"PYTHON_VERSION": "${BASE}", "BASE": "3.13"},
     "python:${PYTHON_VERSION}-slim-trixie", ["checked with PYTHON_VERSION=3.13"]),
    ("python:${PYTHON_VERSION}-alpine", None, {"PYTHON_VERSION": "3.6.1"}, None, ["3.6.1-slim-<codename> was never published"]),
    ("python:${PYTHON_VERSION}-alpine", None, {"PYTHON_VERSION": "latest"}, None, ["not a tag form dockerfix knows"]),
    ("python:${PYTHON_VERSION}-alpine", None, {"PYTHON_VERSION": ""}, None, ["not a tag form dockerfix knows"]),
    ("python:${PYTHON_VERSION#v}-alpine", None, {"PYTHON_VERSION": "v3.11"}, None, ["does not evaluate"]),
    ("python:${TAG}", None, {"TAG": "3.11-alpine"}, None, ["python:3.11-alpine comes from TAG=3.11-alpine"]),
    # alpine tags of forms that were never published
    ("python:3.11-alpine-foo", None, None, None, ["python:3.11-alpine-foo is not a tag form dockerfix knows"]),
    ("python:3.11alpine", None, None, None, ["not a tag form dockerfix knows"]),
    ("python:3.11-alpine3", None, None, None, ["not a tag form dockerfix knows"]),
]

NOT_OURS = [
    "alpine:3.19",
    "nginx:alpine",
    "postgres:16-alpine",
    "pypy:3-alpine",
    "library/pypy:3-alpine",
    "python-foo:alpine",
    "mypython:3-alpine",
    "rcarmo/alpine-python:2.7",
    "python:3.11-slim",
    "python:3.11-slim-bookworm",
    "python:3.11",
    "python",
    f"python@sha256:{DIGEST[7:]}",
    f"python@{DIGEST}",
    "myorg/python:3-alpine",
    "docker.io/myorg/python:3-alpine",
    "ghcr.io/org/python:3.11-alpine",
    "registry.example.com/team/python:3.11-alpine",
    "gcr.io/distroless/python3",
    "python:${TAG}",
    "python:3.11-${alpine_variant}",
    "Python:3.11-alpine",
    "python:3.11-alpine extra",
    "python:alpine:3",
    "",
]


@pytest.mark.parametrize(("ref", "codename", "variables", "new", "notes"), CASES)
def test_decide(ref: str, codename: str | None, variables: dict[str, str] | None, new: str | None, notes: list[str]) -> None:
    decision = decide(ref, codename, variables)
    assert decision is not None
    assert decision.old == ref
    assert decision.new == new
    text = " | ".join(decision.notes)
    for expected in notes:
        assert expected in text
    if not notes:
        assert decision.notes == ()
    if new is None:
        assert decision.codename is None and decision.edits == ()
    else:
        assert new.endswith(f"slim-{decision.codename}")


def test_case_table_is_large_and_unique() -> None:
    assert len(CASES) + len(NOT_OURS) >= 80
    assert len({(ref, codename, str(variables)) for ref, codename, variables, _, _ in CASES}) == len(CASES)


def _substitute(text: str, variables: dict[str, str]) -> str:
    """Just enough expansion for the table's variable cases (values may name other variables)."""
    for _ in range(3):
        text = re.sub(
            r"\$\{(\w+)(?::-([^}]*))?\}|\$(\w+)",
            lambda m: variables.get(m[1] or m[3]) or m[2] or "",
            text,
        )
    return text


@pytest.mark.parametrize(("ref", "codename", "variables", "new", "notes"), [c for c in CASES if c[3]])
def test_every_expected_tag_in_the_table_is_published(
    ref: str, codename: str | None, variables: dict[str, str] | None, new: str, notes: list[str]
) -> None:
    parsed = parse_ref(new)
    assert parsed is not None and parsed.tag is not None
    assert _substitute(parsed.tag, variables or {}) in TAGS


@pytest.mark.parametrize("ref", NOT_OURS)
def test_other_references_are_left_alone(ref: str) -> None:
    assert decide(ref) is None
    assert decide(ref, "bookworm", {"TAG": "3.11-slim"}) is None
    assert not is_python_alpine(ref)


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("python:3.11-alpine", True),
        ("library/python:alpine3.19", True),
        ("registry.example.com:5000/mirror/library/python:3-alpine", True),
        ("${REGISTRY}/python:3.11-alpine", True),
        ("python:3.11-alpine-foo", True),  # ours, though decide() cannot rewrite it
        ("python:${PYTHON_VERSION}-alpine", True),
        ("python:${ALPINE}", False),  # a variable name is not the tag
        ("myorg/python:3-alpine", False),
        ("python:3.11-slim", False),
    ],
)
def test_is_python_alpine(ref: str, expected: bool) -> None:
    assert is_python_alpine(ref) is expected


def _apply(text: str, edits: tuple[tuple[int, int, str], ...]) -> str:
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


@pytest.mark.parametrize(("ref", "codename", "variables", "new", "notes"), [c for c in CASES if c[3]])
def test_edits_reproduce_new_and_touch_only_the_suffix(
    ref: str, codename: str | None, variables: dict[str, str] | None, new: str, notes: list[str]
) -> None:
    decision = decide(ref, codename, variables)
    assert decision is not None
    assert _apply(ref, decision.edits) == new
    first = min(start for start, _, _ in decision.edits)
    assert ref[:first] == new[:first]  # prefix, name and version untouched
    assert ref[first:].startswith("alpine")


def test_edits_for_a_digest_and_an_alpine_variable() -> None:
    ref = f"reg.example.com/library/python:${{PY}}-alpine${{ALPINE}}@{DIGEST}"
    decision = decide(ref, "bookworm", {"PY": "3.12"})
    assert decision is not None
    start = ref.index("alpine${ALPINE}")
    assert decision.edits == ((start, start + len("alpine${ALPINE}"), "slim-bookworm"), (ref.index("@"), len(ref), ""))
    assert decision.new == "reg.example.com/library/python:${PY}-slim-bookworm"


@pytest.mark.parametrize("tag", ALPINE_TAGS)
def test_every_published_alpine_tag_decides_to_a_published_slim_tag(tag: str) -> None:
    """For each requested codename: the emitted tag exists, has that codename if it can, else the closest."""
    version = re.fullmatch(r"(?:(.+)-)?alpine(?:\d+\.\d+)?", tag)[1] or ""
    available = {c for c in codenames.CODENAMES if (f"{version}-slim-{c}" if version else f"slim-{c}") in TAGS}
    for codename in CODENAME_OPTIONS:
        decision = decide(f"python:{tag}", codename)
        assert decision is not None
        if not available:
            assert decision.new is None and "was never published" in decision.notes[0]
            continue
        new_tag = decision.new.removeprefix("python:")
        assert new_tag in TAGS
        assert new_tag == (f"{version}-slim-{decision.codename}" if version else f"slim-{decision.codename}")
        assert "windows" not in new_tag and "onbuild" not in new_tag
        wanted = codename or "trixie"
        distance = abs(codenames.rank(decision.codename) - codenames.rank(wanted))
        assert distance == min(abs(codenames.rank(c) - codenames.rank(wanted)) for c in available)
        said = "was never published" if codename else f"(none on {wanted})"  # asked for / the default
        assert (decision.codename == wanted) == (not any(said in n for n in decision.notes))


def test_every_minor_from_2_7_to_3_15_is_covered() -> None:
    minors = {"2.7"} | {f"3.{n}" for n in range(3, 16)}
    covered = {m[0] for t in ALPINE_TAGS if (m := re.match(r"\d+\.\d+", t))}
    assert minors <= covered


def test_emittable_tags_are_published_slim_tags() -> None:
    table = emittable_tags()
    assert ("3.11", "bookworm") in table and ("", None) in table
    assert table[("3.13.5", "trixie")] == "3.13.5-slim-bookworm"
    assert table[("3.6.1", None)] is None
    for (version, _), tag in table.items():
        if tag is not None:
            assert tag in TAGS
            assert re.fullmatch(rf"{re.escape(version)}-?slim-({'|'.join(codenames.CODENAMES)})", tag)


@pytest.mark.parametrize(
    ("version", "codename"),
    [
        ("3.11", "trixie"),
        ("3", "trixie"),
        ("", "trixie"),
        ("3.11.4", "bookworm"),
        ("3.12.0a3", "bullseye"),
        ("3.15-rc", "trixie"),
        ("3.13.5", "bookworm"),
        ("3.8", "bookworm"),
        ("3.6", "bullseye"),
        ("2.7", "buster"),
        ("3.4", "stretch"),
        ("rc", "bullseye"),
        ("3.3", None),
        ("3.6.1", None),
        ("3.15", None),  # only pre-releases, under 3.15-rc
    ],
)
def test_newest_codename(version: str, codename: str | None) -> None:
    assert newest_codename(version) == codename


def test_unknown_codename_is_an_error() -> None:
    with pytest.raises(ValueError, match="focal"):
        decide("python:3.11-alpine", "focal")


def test_closest_codename_prefers_newer_on_a_tie() -> None:
    assert codenames.closest("bullseye", {"buster", "bookworm"}) == "bookworm"
    assert codenames.closest("bullseye", {"stretch", "bookworm"}) == "bookworm"  # distance 2 vs 1
    assert codenames.closest("bullseye", {"jessie", "bookworm"}) == "bookworm"
    assert codenames.closest("trixie", {"jessie", "stretch"}) == "stretch"
    assert codenames.closest("wheezy", set()) is None


@pytest.mark.parametrize(
    ("ref", "parts"),
    [
        ("python", ("", "python", None, None)),
        ("python:3.11-alpine", ("", "python", "3.11-alpine", None)),
        (f"python@{DIGEST}", ("", "python", None, DIGEST)),
        ("localhost:5000/python", ("localhost:5000/", "python", None, None)),
        (
            f"registry.example.com:5000/mirror/library/python:3.9-alpine@{DIGEST}",
            ("registry.example.com:5000/mirror/library/", "python", "3.9-alpine", DIGEST),
        ),
        ("public.ecr.aws/docker/library/python:3", ("public.ecr.aws/docker/library/", "python", "3", None)),
        ("${REGISTRY}/python:${TAG}", ("${REGISTRY}/", "python", "${TAG}", None)),
        ("python:${PY:-3.11}-alpine", ("", "python", "${PY:-3.11}-alpine", None)),
        ("gcr.io/distroless/python3", ("gcr.io/distroless/", "python3", None, None)),
    ],
)
def test_parse_ref(ref: str, parts: tuple[str, str, str | None, str | None]) -> None:
    assert parse_ref(ref) == ImageRef(*parts)


@pytest.mark.parametrize(
    "ref",
    ["", "Python:3", "python:", "python:-x", "python@sha256:xyz", "a b", "python:3.11 ", "/python", "python/",
     "host:port/python", "python:3:4", "python:$(cat version)-alpine"],
)
def test_parse_ref_rejects_invalid_references(ref: str) -> None:
    assert parse_ref(ref) is None


PREFIXES = ["", "docker.io/library/", "library/", "mirror.gcr.io/library/", "registry.example.com:5000/mirror/library/"]


@given(
    prefix=st.sampled_from(PREFIXES),
    tag=st.sampled_from(ALPINE_TAGS),
    digest=st.booleans(),
    codename=st.sampled_from(CODENAME_OPTIONS),
)
def test_decision_keeps_the_prefix_and_drops_only_the_digest(prefix: str, tag: str, digest: bool, codename: str | None) -> None:
    ref = f"{prefix}python:{tag}" + (f"@{DIGEST}" if digest else "")
    decision = decide(ref, codename)
    assert decision is not None and is_python_alpine(ref)
    if decision.new is None:
        return
    parsed = parse_ref(decision.new)
    assert parsed == ImageRef(prefix, "python", parsed.tag, None)
    assert parsed.tag in TAGS
    assert _apply(ref, decision.edits) == decision.new
    assert any("digest" in note for note in decision.notes) is digest


def test_packaged_data_is_sorted_and_has_a_header() -> None:
    lines = DATA.read_text(encoding="utf-8").splitlines()
    header = [line for line in lines if line.startswith("#")]
    tags = [line for line in lines if not line.startswith("#")]
    assert lines[: len(header)] == header and any("build_tag_data.py" in line for line in header)
    assert tags == sorted(tags) and len(set(tags)) == len(tags)
    assert frozenset(tags) == published_tags() == TAGS
    assert not any("windowsservercore" in tag for tag in tags)


@pytest.mark.skipif(not SHARED.exists(), reason="shared fact data not available")
def test_packaged_data_matches_the_shared_fact_file() -> None:
    shared = SHARED.read_text(encoding="utf-8").split()
    assert TAGS == {t for t in shared if "windowsservercore" not in t}
