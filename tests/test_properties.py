"""Property-based tests: generated Dockerfiles, RUN shell text with apk calls, image references and
compose files.  For every input: no exception but the tool's own clean error (``FileResult.error``);
a second run changes nothing; lines outside the edited instructions stay byte for byte; the output
parses again with the same instructions (less the RUNs removed on purpose), by our reader and by
BuildKit's.

CI runs 200 examples per property.  The long run (20,000 each; see tests/conftest.py):

    HYPOTHESIS_PROFILE=long .venv/bin/python -m pytest tests/test_properties.py
"""

from __future__ import annotations

import dockerfile as buildkit
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from rewriter import dockerfile, images, shell
from rewriter.api import fix_text
from rewriter.edits import Edit, Fix, apply_fixes
from rewriter.files import COMPOSE
from rewriter.rules import apk_to_apt
from rewriter.settings import CODENAMES, Settings

PROPERTY = settings(
    settings.default,
    max_examples=max(200, settings.default.max_examples),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- strategies ------------------------------------------------------------------------------------

VERSIONS = st.sampled_from(["3", "3.6", "3.8", "3.10", "3.11", "3.12", "3.13", "3.11.4", "3.9.18", "2.7", "3.14"])
ALPINE_SUFFIXES = st.sampled_from(["alpine", "alpine3.18", "alpine3.20", "alpine3.22", "alpine3.9"])
DIGEST = "@sha256:" + "ab12" * 16
PYTHON_ALPINE = st.one_of(
    st.builds("python:{}-{}".format, VERSIONS, ALPINE_SUFFIXES),
    st.builds("{}python:{}-alpine{}".format, st.sampled_from(["docker.io/library/", "library/", "mirror.gcr.io/", "docker.io/"]), VERSIONS, st.sampled_from(["", DIGEST])),
    st.sampled_from(["python:alpine", "python:3-alpine", "python:${PY}-alpine", "python:${PY:-3.11}-alpine", "${BASE}"]),
)
OTHER_IMAGES = st.sampled_from(["alpine:3.19", "nginx:alpine", "python:3.11-slim", "python:3.12-slim-bookworm", "ubuntu:22.04", "node:20-alpine", "scratch"])

PACKAGES = st.sampled_from([
    "gcc", "musl-dev", "libffi-dev", "openssl-dev", "postgresql-dev", "jpeg-dev", "zlib-dev", "build-base",
    "linux-headers", "curl", "git", "bash", "make", "g++", "cargo", "python3-dev", "py3-numpy", "libxml2-dev",
    "tzdata", "ca-certificates", "frobnicate", "gcc=12.2.1-r4", "'libpq>=15'", '"curl"', "$PKGS", "${EXTRA}",
    "mariadb-dev", "libjpeg-turbo-dev", "freetype-dev", "openblas-dev", "su-exec", "tini", "shadow", "file",
])
APK_FLAGS = st.sampled_from(["--no-cache", "--update", "-U", "-q", "--no-progress", "--virtual .build-deps", "-t .deps", "--upgrade", "--repository http://x", "--allow-untrusted"])
OTHER_COMMANDS = st.sampled_from([
    "pip install -r requirements.txt", "pip install --no-cache-dir cryptography", "echo hi", "cd /app",
    "rm -rf /var/cache/apk/*", "apk update", "apk upgrade", "apk cache clean", "apk del .build-deps",
    "apk del --purge gcc", "adduser -D app", "addgroup -S app", "ln -s /usr/bin/python3 /usr/bin/python",
    "true", "set -eux", "mkdir -p /app", "if [ -f x ]; then apk add gcc; fi", "apk info", "sh -c 'apk add gcc'",
])


@st.composite
def apk_commands(draw) -> str:
    before = " ".join(draw(st.lists(APK_FLAGS, max_size=1)))
    after = " ".join(draw(st.lists(APK_FLAGS, max_size=2)))
    packages = " ".join(draw(st.lists(PACKAGES, min_size=1, max_size=5)))
    sub = draw(st.sampled_from(["add", "add", "add", "del"]))
    return " ".join(part for part in (draw(st.sampled_from(["apk", "/sbin/apk"])), before, sub, after, packages) if part)


COMMANDS = st.one_of(apk_commands(), apk_commands(), OTHER_COMMANDS)
SEPARATORS = st.sampled_from([" && ", " ; ", " && \\\n    ", " \\\n    && ", " \\\n\t&& ", " && \\\n    # a note\n    ", " || ", "\\\n  && "])


SCRIPT_SEPARATORS = st.one_of(SEPARATORS, st.sampled_from(["\n", "\n# a note\n", "\n\n", " &&\n  # a note\n  "]))


@st.composite
def shell_lines(draw, separators=SEPARATORS) -> str:
    """One RUN's shell text: commands joined by operators, line continuations and comment lines."""
    commands = draw(st.lists(COMMANDS, min_size=1, max_size=5))
    text = commands[0]
    for command in commands[1:]:
        text += draw(separators) + command
    return text


@st.composite
def run_instructions(draw) -> str:
    keyword = draw(st.sampled_from(["RUN", "RUN", "run"]))
    form = draw(st.sampled_from(["shell", "shell", "shell", "heredoc", "exec", "mount"]))
    if form == "heredoc":
        body = draw(shell_lines(SCRIPT_SEPARATORS))
        opener = draw(st.sampled_from(["<<EOF", "<<-EOF", "<<'EOF'", "sh <<EOF", "bash -e <<EOF"]))
        return f"{keyword} {opener}\n{draw(st.sampled_from(['', 'set -e' + chr(10)]))}{body}\nEOF"
    if form == "exec":
        return f'{keyword} ["apk", "add", "--no-cache", "gcc"]'
    if form == "mount":
        return f"{keyword} --mount=type=cache,target=/var/cache/apk {draw(shell_lines())}"
    return f"{keyword} {draw(shell_lines())}"


OTHER_INSTRUCTIONS = st.sampled_from([
    "WORKDIR /app", "COPY . .", "COPY --from=s0 /app /app", "ENV A=b", 'CMD ["python", "app.py"]', "# a comment",
    "", "ARG X=1", "EXPOSE 8000", "USER app", "ENTRYPOINT python app.py", "LABEL a=b", "  # indented comment",
    'SHELL ["/bin/ash", "-eo", "pipefail", "-c"]', "HEALTHCHECK CMD wget -q localhost || exit 1",
])


@st.composite
def dockerfiles(draw) -> str:
    lines: list[str] = []
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(["# syntax=docker/dockerfile:1", "# escape=\\"])))
    lines.append(draw(st.sampled_from(["", "ARG PY=3.11", "ARG BASE=python:3.10-alpine", "ARG PY=3.12\nARG BASE=python:${PY}-alpine"])))
    for index in range(draw(st.integers(1, 3))):
        keyword = draw(st.sampled_from(["FROM", "FROM", "from"]))
        platform = draw(st.sampled_from(["", "", "--platform=$BUILDPLATFORM "]))
        image = draw(st.one_of(PYTHON_ALPINE, PYTHON_ALPINE, OTHER_IMAGES, st.just(f"s{max(index - 1, 0)}")))
        alias = draw(st.sampled_from(["", f" AS s{index}", f" as s{index}"]))
        lines.append(f"{keyword} {platform}{image}{alias}")
        lines.extend(draw(st.lists(st.one_of(run_instructions(), run_instructions(), OTHER_INSTRUCTIONS), max_size=4)))
    newline = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    text = newline.join(line.replace("\n", newline) for line in lines)
    return text + newline if draw(st.booleans()) else text


# --- Dockerfiles -------------------------------------------------------------------------------------


def _other_lines(text: str) -> list[str]:
    """The lines outside every instruction (comments, blank lines, directives), in order."""
    owned = set()
    for ins in dockerfile.parse(text).instructions:
        owned.update(range(ins.line - 1, ins.end_line))
    return [line.rstrip("\r") for number, line in enumerate(text.split("\n")) if number not in owned]


def assert_changes_inside_instructions(old: str, new: str) -> None:
    """Lines outside every instruction (comments, blank lines) and line endings survive as they were."""
    assert _other_lines(new) == _other_lines(old)
    assert ("\r\n" in old) == ("\r\n" in new)
    # a final newline stays or stays absent, unless the last instruction went and the blank line before it stayed
    if old.endswith("\n") != new.endswith("\n"):
        last = dockerfile.parse(old).instructions[-1]
        assert not old.endswith("\n") and len(dockerfile.parse(new).instructions) < len(dockerfile.parse(old).instructions)
        assert old[: last.start].split("\n")[-2].strip() == "", "a final newline appeared"


# Minimal inputs of bugs the properties found (see the CHANGELOG), kept as explicit examples.
@PROPERTY
@given(dockerfiles(), st.sampled_from((None, *CODENAMES)))
@example("\nFROM python:3-alpine\nRUN apk add python3-dev\nRUN apk add python3-dev", None)
@example("\nFROM python:3-alpine\nRUN apk add gcc\n\nRUN apk add python3-dev", None)
@example("FROM python:3-alpine\nRUN <<EOF\napk add python3-dev \\\n    && apk add gcc\nEOF\n", None)
@example("FROM python:3-alpine\nRUN <<EOF\napk add gcc && \\\n    # a note\n    apk update && pip install x\nEOF\n", None)
@example("FROM python:3-alpine\nRUN <<EOF\napk add gcc && \\\n    apk update\nEOF\n", None)
@example("\r\nFROM python:3-alpine\r\nRUN apk add gcc\r\n# a comment\r\nRUN --mount=type=cache,target=/var/cache/apk rm -rf /var/cache/apk/*", None)
@example("FROM python:3-alpine\nRUN <<EOF\npip install x && apk add gcc\n\napk add python3-dev && pip install y\nEOF\n", None)
@example('\nFROM python:3-alpine\nRUN <<EOF\napk add gcc\n\napk add bash\nEOF\nSHELL ["/bin/ash", "-eo", "pipefail", "-c"]\n', None)
def test_dockerfile_migration_properties(text: str, codename: str | None) -> None:
    settings_ = Settings(codename=codename)
    result = fix_text(text, settings=settings_)  # any exception fails the property
    if result.error is not None:
        assert result.new == text  # a clean refusal changes nothing
        return
    again = fix_text(result.new, settings=settings_)
    assert again.error is None, again.error
    assert again.new == result.new, "a second run changed the file again"
    assert_changes_inside_instructions(text, result.new)
    before = set(_run_scripts(text))
    for script in _run_scripts(result.new):
        if script not in before:  # an edited RUN is still valid shell
            shell.parse(script)


def _run_scripts(text: str) -> list[str]:
    """The shell text of every shell-form RUN: its arguments, or its heredoc bodies."""
    df = dockerfile.parse(text)
    scripts = []
    for ins in df.instructions:
        if ins.keyword == "RUN" and not ins.is_json:
            if ins.heredocs:
                scripts += [text[h.body_start : h.body_end] for h in ins.heredocs]
            else:
                scripts.append(dockerfile.logical_args(df, ins).text)
    return scripts


def _buildkit_count(text: str) -> int | None:
    try:
        return len(buildkit.parse_string(text))
    except buildkit.GoParseError:
        return None


@PROPERTY
@given(dockerfiles())
@example("\nFROM python:3-alpine\nRUN apk add python3-dev\nRUN apk add python3-dev")
def test_output_parses_with_the_same_instructions(text: str) -> None:
    """base-image and apk-to-apt never add an instruction; a RUN with nothing left is removed (and said)."""
    result = fix_text(text, settings=Settings(select=frozenset({"base-image", "apk-to-apt"})))
    if result.error is not None or not result.changed:
        return
    removed = sum(f.message.startswith("RUN removed") for f in result.findings)
    old, new = dockerfile.parse(text).instructions, dockerfile.parse(result.new).instructions
    assert len(new) == len(old) - removed
    if removed == 0:
        assert [i.keyword for i in new] == [i.keyword for i in old]
    before = _buildkit_count(text)
    if before is not None:  # BuildKit's own reading agrees
        assert _buildkit_count(result.new) == before - removed


# --- RUN shell text ------------------------------------------------------------------------------


def _apply(text: str, edits: tuple[Edit, ...]) -> str:
    new, skipped = apply_fixes(text, [Fix(edits)] if edits else [])
    assert not skipped
    return new


def _apk_calls(text: str) -> list[str]:
    return [c.words[0].raw for c in shell.parse(text).commands if c.words and c.words[0].value in apk_to_apt.APK]


@PROPERTY
@given(shell_lines(SCRIPT_SEPARATORS), st.sampled_from(CODENAMES))
@example("apk add gcc\\\n  && apk add gcc", "bullseye")
@example("apk add --no-cache\\\n  gcc", "bookworm")
@example("apk add gcc && \\\n    # a note\n    apk add bash\n# a note\npip install -r requirements.txt", "bullseye")
@example("apk add python3-dev && \\\n    # a note\n    apk add gcc", "bullseye")
@example("apk add gcc && \\\n    # a note\n    apk add bash &&\n  # a note\n  pip install -r requirements.txt", "bullseye")
@example("pip install x && apk add gcc && pip install y\n\napk add python3-dev && pip install z\n", "bookworm")
@example("pip install -r requirements.txt ; apk add python3-dev &&\n  # a note\n  pip install -r requirements.txt", "bullseye")
def test_shell_translation_properties(text: str, codename: str) -> None:
    translation = apk_to_apt.translate_shell(text, codename)
    if translation.removes_all or not translation.edits:
        return
    new = _apply(text, translation.edits)
    assert not _apk_calls(new), new  # translated whole: no apk call is left behind
    again = apk_to_apt.translate_shell(new, codename)
    assert not again.edits and not again.removes_all, "a second translation changed the text again"
    # the layout stays: no line continuation appears (one goes only with a command removed), comment lines stay
    assert new.count("\\\n") <= text.count("\\\n")
    assert [line for line in new.split("\n") if line.lstrip().startswith("#")] == [
        line for line in text.split("\n") if line.lstrip().startswith("#")
    ]


# --- image references ----------------------------------------------------------------------------

REF_ALPHABET = "python:alpine-0123456789.@/_${}abcdefgsh"


@st.composite
def image_references(draw) -> str:
    if draw(st.integers(0, 3)) == 0:  # anything at all made of reference characters
        return draw(st.text(alphabet=REF_ALPHABET, max_size=40))
    prefix = draw(st.sampled_from(["", "docker.io/", "docker.io/library/", "library/", "index.docker.io/library/", "mirror.gcr.io/", "registry.example.com:5000/library/", "${REGISTRY}/", "ghcr.io/acme/", "localhost/"]))
    name = draw(st.sampled_from(["python", "python", "pythonx", "alpine", "Python"]))
    version = draw(st.one_of(VERSIONS, st.sampled_from(["", "${PY}", "${PY:-3.11}", "$PY", "3.11.4rc1", "3.12-rc"])))
    variant = draw(st.one_of(ALPINE_SUFFIXES, st.sampled_from(["slim", "slim-bookworm", "${FLAVOUR}", "alpine${ALPINE}", "ALPINE", "alpinex"])))
    tag = f"{version}-{variant}" if version else variant
    digest = draw(st.sampled_from(["", "", DIGEST, "@sha256:abc"]))
    return f"{prefix}{name}:{tag}{digest}" if draw(st.integers(0, 9)) else f"{prefix}{name}{digest}"


@PROPERTY
@given(image_references(), st.sampled_from((None, *CODENAMES)), st.sampled_from([{}, {"PY": "3.11"}, {"PY": "3.12", "FLAVOUR": "alpine"}, {"REGISTRY": "docker.io"}]))
def test_image_reference_properties(ref: str, codename: str | None, variables: dict[str, str]) -> None:
    parsed = images.parse_ref(ref)
    if parsed is not None:  # the parts concatenate back to the reference
        tail = (f":{parsed.tag}" if parsed.tag is not None else "") + (f"@{parsed.digest}" if parsed.digest is not None else "")
        assert parsed.registry_prefix + parsed.name + tail == ref
    decision = images.decide(ref, codename, variables)
    if decision is None or decision.new is None:
        return
    assert decision.old == ref
    new = images.parse_ref(decision.new)
    assert new is not None and new.name == parsed.name and new.registry_prefix == parsed.registry_prefix
    assert new.tag is not None and "slim-" in new.tag and "alpine" not in new.tag
    assert new.digest is None  # the Alpine image's digest never survives
    assert images.decide(decision.new, codename, variables) is None  # a slim tag is left alone
    assert not images.is_python_alpine(decision.new)
    rebuilt = ref
    for start, end, replacement in sorted(decision.edits, reverse=True):
        rebuilt = rebuilt[:start] + replacement + rebuilt[end:]
    assert rebuilt == decision.new


# --- compose files -------------------------------------------------------------------------------


COMPOSE_COMMANDS = st.sampled_from(
    ["python app.py", 'sh -c "apk add --no-cache gcc && python app.py"', '["python", "-m", "http.server"]']
)


@st.composite
def compose_files(draw) -> str:
    lines = [draw(st.sampled_from(["", "# compose file", "version: '3.8'"])), "services:"]
    for index in range(draw(st.integers(1, 3))):
        lines.append(f"  svc{index}:{draw(st.sampled_from(['', '  # service']))}")
        image = draw(st.one_of(PYTHON_ALPINE, OTHER_IMAGES))
        quote = draw(st.sampled_from(["", "'", '"']))
        lines.append(f"    image: {quote}{image}{quote}")
        if draw(st.booleans()):
            lines.append("    command: " + draw(COMPOSE_COMMANDS))
        if draw(st.booleans()):
            lines += ["    build:", "      context: .", f"      args:\n        PY: '{draw(VERSIONS)}'"]
        if draw(st.booleans()):
            lines += ["    environment:", "      - A=b", "      - IMAGE=python:3.11-alpine"]
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return newline.join(line.replace("\n", newline) for line in lines) + newline


def _same_except_images(old, new, key=None) -> None:
    """The loaded documents are equal but for strings that named a python Alpine image."""
    if isinstance(old, dict):
        assert isinstance(new, dict) and list(old) == list(new)
        for k in old:
            _same_except_images(old[k], new[k], k)
    elif isinstance(old, list):
        assert isinstance(new, list) and len(old) == len(new)
        for a, b in zip(old, new):
            _same_except_images(a, b, key)
    elif old != new:
        assert isinstance(old, str) and "alpine" in old and isinstance(new, str), (key, old, new)


@PROPERTY
@given(compose_files(), st.sampled_from((None, *CODENAMES)))
def test_compose_migration_properties(text: str, codename: str | None) -> None:
    settings_ = Settings(codename=codename)
    result = fix_text(text, COMPOSE, settings_)
    if result.error is not None:
        assert result.new == text
        return
    again = fix_text(result.new, COMPOSE, settings_)
    assert again.error is None and again.new == result.new
    yaml = YAML(typ="safe", pure=True)
    _same_except_images(yaml.load(text), yaml.load(result.new))
    assert ("\r\n" in text) == ("\r\n" in result.new)
