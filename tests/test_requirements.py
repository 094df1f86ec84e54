"""Finding the requirements a Dockerfile installs: RUN commands, requirement files, manifests, lock files."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from rewriter import dockerfile, stages
from rewriter.requirements import StageRequirements, find, parse_requirement, poetry_constraint, read_requirements_file


def found(text: str, context: Path | None = None, stage: int = 0) -> StageRequirements:
    df = dockerfile.parse(textwrap.dedent(text))
    return find(df, stages.analyse(df, None), context)[stage]


def names(result: StageRequirements) -> list[tuple[str, str]]:
    return [(r.display, r.specifier) for r in result.requirements]


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return folder


# --- requirement strings ------------------------------------------------------------------------------


def test_pep508_requirement() -> None:
    req = parse_requirement('Django[argon2,bcrypt]>=3.2,<4 ; python_version >= "3.8"', "line 1", 1)
    assert (req.name, req.display, req.extras, req.problem) == ("django", "Django", ("argon2", "bcrypt"), None)
    assert set(req.specifier.split(",")) == {">=3.2", "<4"}
    assert req.marker == 'python_version >= "3.8"'


def test_urls_and_paths_are_not_checked() -> None:
    assert parse_requirement("git+https://github.com/a/b.git@v1#egg=b", "x", 1).problem == "VCS link: not checked"
    assert parse_requirement("git+https://github.com/a/b.git#egg=b", "x", 1).name == "b"
    assert parse_requirement("https://example.org/x-1.0.tar.gz", "x", 1).problem == "direct URL: not checked"
    assert parse_requirement("./dist/x-1.0-py3-none-any.whl", "x", 1).problem == "local file: not checked"
    named = parse_requirement("x @ https://example.org/x-1.0-py3-none-any.whl", "x", 1)
    assert (named.name, named.problem) == ("x", "direct URL: not checked")
    assert parse_requirement("not a requirement!", "x", 1) is None


def test_poetry_constraints() -> None:
    assert poetry_constraint("^1.2.3") == ">=1.2.3,<2"
    assert poetry_constraint("^0.2.3") == ">=0.2.3,<0.3"
    assert poetry_constraint("^0.0.3") == ">=0.0.3,<0.0.4"
    assert poetry_constraint("~1.2.3") == ">=1.2.3,<1.3"
    assert poetry_constraint("~1") == ">=1,<2"
    assert poetry_constraint("*") == ""
    assert poetry_constraint("1.2.3") == "==1.2.3"
    assert poetry_constraint(">=1.0, <2.0") == ">=1.0,<2.0"
    assert poetry_constraint("^1.0 || ^2.0") == ""


# --- requirement files --------------------------------------------------------------------------------


def test_requirements_file_lines(tmp_path: Path) -> None:
    write(tmp_path, {
        "requirements.txt": """\
            # a comment
            -r base/common.txt
            -c constraints.txt
            flask==2.0.1  # trailing comment
            requests>=2 \\
                --hash=sha256:abc
            -i https://mirror.example/simple
            -e .
            git+https://github.com/a/b.git#egg=b
            ${TOKEN}pkg
            """,
        "base/common.txt": "six\n-r more.txt\n",
        "base/more.txt": "idna==3.4\n",
        "constraints.txt": "six==1.16.0\n",
    })  # fmt: skip
    result = read_requirements_file(tmp_path, "requirements.txt", 7)
    assert [(r.display, r.specifier, r.origin) for r in result.requirements] == [
        ("six", "", "base/common.txt:1"),
        ("idna", "==3.4", "base/more.txt:1"),
        ("flask", "==2.0.1", "requirements.txt:4"),
        ("requests", ">=2", "requirements.txt:5"),
        ("b", "", "requirements.txt:9"),
    ]
    assert all(r.line == 7 for r in result.requirements)
    assert [(r.display, r.specifier) for r in result.constraints] == [("six", "==1.16.0")]
    assert result.local == ["."]
    assert result.notes == ["requirements.txt:7: -i https://mirror.example/simple"]
    assert result.problems == ["requirements.txt:10: `${TOKEN}pkg` uses an environment variable"]


def test_missing_and_circular_files(tmp_path: Path) -> None:
    write(tmp_path, {"a.txt": "-r b.txt\n", "b.txt": "-r a.txt\nsix\n"})
    result = read_requirements_file(tmp_path, "a.txt", 1)
    assert [r.display for r in result.requirements] == ["six"]
    assert result.problems == ["a.txt: includes itself"]
    assert read_requirements_file(tmp_path, "nope.txt", 1).problems == ["nope.txt: not found in the build context"]


# --- RUN commands -------------------------------------------------------------------------------------


def test_inline_pins_of_every_pip_spelling() -> None:
    result = found("""\
        FROM python:3.12-alpine
        RUN pip install --no-cache-dir -U django==3.2 && pip3 install "gunicorn>=20"
        RUN python3 -m pip install --upgrade pip && /usr/local/bin/pip3.12 install six
        RUN uv pip install --system idna==3.4
        RUN pip --disable-pip-version-check install --index-url https://mirror.example/simple attrs
        RUN pip download numpy && pip uninstall -y six && pip wheel -w /wheels cffi==1.17.1
        """)  # fmt: skip
    assert names(result) == [
        ("django", "==3.2"), ("gunicorn", ">=20"), ("pip", ""), ("six", ""), ("idna", "==3.4"), ("attrs", ""), ("cffi", "==1.17.1"),
    ]  # fmt: skip
    assert [r.origin for r in result.requirements][:2] == ["line 2", "line 2"]
    assert result.notes[0].message == "pip --index-url https://mirror.example/simple: wheel availability is still checked on PyPI"


def test_arg_and_env_values_are_substituted() -> None:
    result = found("""\
        ARG FLASK=2.0.1
        FROM python:3.12-alpine
        ARG FLASK
        ARG POETRY_VERSION=1.7.1
        ENV SIX_VERSION 1.16.0
        RUN pip install "poetry==${POETRY_VERSION}" flask==$FLASK six==${SIX_VERSION} $EXTRA "idna==${IDNA:-3.4}"
        """)  # fmt: skip
    assert names(result) == [("poetry", "==1.7.1"), ("flask", "==2.0.1"), ("six", "==1.16.0"), ("idna", "==3.4")]
    assert [n.message for n in result.unseen] == ["pip install `$EXTRA`: decided at build time, not read"]


def test_exec_form_and_sh_c() -> None:
    result = found("""\
        FROM python:3.12-alpine
        RUN ["pip", "install", "six==1.16.0"]
        RUN ["/bin/sh", "-c", "pip install idna && echo done"]
        """)  # fmt: skip
    assert names(result) == [("six", "==1.16.0"), ("idna", "")]


def test_requirement_file_mapped_back_through_workdir_and_copy(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "six\n", "reqs/prod.txt": "idna\n", "deploy/base.txt": "attrs\n"})
    result = found("""\
        FROM python:3.12-alpine
        WORKDIR /app
        COPY requirements.txt .
        COPY reqs/prod.txt /tmp/req.txt
        COPY deploy/ /etc/deploy/
        RUN pip install -r requirements.txt -r /tmp/req.txt --requirement=/etc/deploy/base.txt
        """, tmp_path)  # fmt: skip
    assert names(result) == [("six", ""), ("idna", ""), ("attrs", "")]
    assert [r.origin for r in result.requirements] == ["requirements.txt:1", "reqs/prod.txt:1", "deploy/base.txt:1"]
    assert result.unseen == []


def test_copy_of_the_whole_context_and_cd(tmp_path: Path) -> None:
    write(tmp_path, {"src/requirements/base.txt": "six\n"})
    result = found("""\
        FROM python:3.12-alpine
        COPY . /code
        RUN cd /code/src && pip install -r requirements/base.txt
        """, tmp_path)  # fmt: skip
    assert names(result) == [("six", "")]


def test_bind_mount(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "six\n"})
    result = found("""\
        FROM python:3.12-alpine
        RUN --mount=type=cache,target=/root/.cache --mount=type=bind,source=requirements.txt,target=/tmp/r.txt \\
            pip install -r /tmp/r.txt
        """, tmp_path)  # fmt: skip
    assert names(result) == [("six", "")]


def test_what_cannot_be_seen_is_reported(tmp_path: Path) -> None:
    text = """\
        FROM python:3.12-alpine AS build
        WORKDIR /app
        RUN git clone https://example.org/app.git . && pip install -r requirements.txt
        COPY --from=build /app/other.txt /other.txt
        COPY missing.txt .
        RUN pip install -r /other.txt -r missing.txt -r $REQS
        """
    result = found(text, tmp_path)
    assert [n.message for n in result.unseen] == [
        "requirements file requirements.txt: /app/requirements.txt was not copied from the build context",
        "requirements file /other.txt: /other.txt was not copied from the build context",
        "missing.txt: not found in the build context",
        "pip -r `$REQS`: decided at build time, not read",
    ]
    unknown = found(text, None)
    assert unknown.unseen[2].message == "requirements file missing.txt: the build context is not known"


def test_both_branches_of_an_if_report_once() -> None:
    result = found("""\
        FROM python:3.12-alpine
        RUN if [ "$DEV" = 1 ]; then poetry install; else poetry install --no-dev; fi
        """)  # fmt: skip
    assert [n.message for n in result.unseen] == [
        "poetry install: /pyproject.toml was not copied from the build context; /poetry.lock was not copied from the build context"
    ]


def test_project_files_copied_but_not_in_the_context(tmp_path: Path) -> None:
    result = found("FROM python:3.12-alpine\nWORKDIR /app\nCOPY pyproject.toml uv.lock ./\nRUN uv sync --locked\n", tmp_path)
    assert [n.message for n in result.unseen] == [
        "uv sync: pyproject.toml: not found in the build context; uv.lock: not found in the build context"
    ]


def test_a_child_stage_sees_what_its_parent_copied(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "six\n"})
    df_text = """\
        FROM python:3.12-alpine AS base
        WORKDIR /srv
        COPY requirements.txt .
        FROM base AS app
        RUN pip install -r requirements.txt
        """
    assert names(found(df_text, tmp_path, stage=1)) == [("six", "")]
    assert names(found(df_text, tmp_path, stage=0)) == []


# --- manifests and lock files -----------------------------------------------------------------------------


def test_pip_install_dot_reads_pyproject(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": """\
        [project]
        name = "app"
        dependencies = ["flask>=2", "six"]
        [project.optional-dependencies]
        dev = ["pytest"]
        """})  # fmt: skip
    result = found("""\
        FROM python:3.12-alpine
        WORKDIR /app
        COPY . .
        RUN pip install ".[dev]"
        """, tmp_path)  # fmt: skip
    assert names(result) == [("flask", ">=2"), ("six", ""), ("pytest", "")]
    assert [n.message for n in result.source_builds] == ["the local project /app is built from source"]


def test_local_project_with_setup_py_only(tmp_path: Path) -> None:
    write(tmp_path, {"setup.py": "from setuptools import setup\nsetup()\n"})
    result = found("FROM python:3.12-alpine\nCOPY . /app\nRUN pip install -e /app\n", tmp_path)
    assert [n.message for n in result.unseen] == ["local project /app: dependencies in setup.py/setup.cfg are not read"]


POETRY_PYPROJECT = """\
    [tool.poetry]
    name = "app"
    [tool.poetry.dependencies]
    python = "^3.11"
    requests = "^2.31"
    pydantic = {version = "^2.0", extras = ["email"]}
    mylib = {git = "https://example.org/mylib.git"}
    [tool.poetry.group.dev.dependencies]
    pytest = "^8.0"
    [tool.poetry.group.docs]
    optional = true
    [tool.poetry.group.docs.dependencies]
    sphinx = "*"
    """
POETRY_LOCK = """\
    [[package]]
    name = "requests"
    version = "2.31.0"
    [[package]]
    name = "pydantic"
    version = "2.5.0"
    [[package]]
    name = "mylib"
    version = "0.1.0"
    [package.source]
    type = "git"
    url = "https://example.org/mylib.git"
    [metadata]
    lock-version = "2.0"
    """


def test_poetry_install_with_lock(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": POETRY_PYPROJECT, "poetry.lock": POETRY_LOCK})
    text = """\
        FROM python:3.12-alpine
        WORKDIR /app
        COPY pyproject.toml poetry.lock ./
        RUN poetry install {args}
        """
    result = found(text.format(args=""), tmp_path)
    assert [(r.display, r.specifier, r.extras) for r in result.requirements] == [
        ("requests", ">=2.31,<3", ()), ("pydantic", ">=2.0,<3", ("email",)), ("mylib", "", ()), ("pytest", ">=8.0,<9", ()),
    ]  # fmt: skip
    assert result.requirements[2].problem == "VCS link: not checked"
    assert [(r.display, r.specifier) for r in result.constraints] == [("requests", "==2.31.0"), ("pydantic", "==2.5.0")]
    for args in ("--no-dev", "--without dev", "--only main"):
        assert "pytest" not in [r.display for r in found(text.format(args=args), tmp_path).requirements]
    assert "sphinx" in [r.display for r in found(text.format(args="--with docs"), tmp_path).requirements]


def test_uv_sync(tmp_path: Path) -> None:
    write(tmp_path, {
        "pyproject.toml": '[project]\nname = "app"\ndependencies = ["httpx"]\n[dependency-groups]\ndev = ["pytest"]\n',
        "uv.lock": textwrap.dedent("""\
            version = 1
            [[package]]
            name = "app"
            version = "0.1.0"
            source = { editable = "." }
            [[package]]
            name = "httpx"
            version = "0.27.0"
            source = { registry = "https://pypi.org/simple" }
            """),
    })  # fmt: skip
    text = "FROM python:3.12-alpine\nWORKDIR /app\nCOPY . .\nRUN uv sync --frozen {args}\n"
    result = found(text.format(args=""), tmp_path)
    assert names(result) == [("httpx", ""), ("pytest", "")]
    assert [(r.display, r.specifier) for r in result.constraints] == [("httpx", "==0.27.0")]
    assert names(found(text.format(args="--no-dev"), tmp_path)) == [("httpx", "")]


def test_pipenv_lock(tmp_path: Path) -> None:
    lock = {
        "_meta": {},
        "default": {"requests": {"version": "==2.31.0", "markers": "python_version >= '3.7'"}},
        "develop": {"pytest": {"version": "==8.0.0"}},
    }
    write(tmp_path, {"Pipfile.lock": json.dumps(lock), "Pipfile": "[packages]\nrequests = '*'\n"})
    text = "FROM python:3.12-alpine\nCOPY Pipfile Pipfile.lock ./\nRUN pipenv install --system --deploy {args}\n"
    result = found(text.format(args=""), tmp_path)
    assert names(result) == [("requests", "==2.31.0")]
    assert result.requirements[0].marker == "python_version >= '3.7'"
    assert names(found(text.format(args="--dev"), tmp_path)) == [("requests", "==2.31.0"), ("pytest", "==8.0.0")]
