"""Tests for rewriter.ci: which jobs are migrated, which shell lines follow, and what is reported."""

from __future__ import annotations

import pytest
from ruamel.yaml import YAML

from rewriter import ci
from rewriter.api import fix_text
from rewriter.ci import fix_github, fix_gitlab
from rewriter.files import GITHUB_ACTIONS, GITLAB_CI, kind_of
from rewriter.findings import Severity
from rewriter.settings import Settings

DEFAULT = Settings()
INSTALL = "apt-get update && apt-get install -y --no-install-recommends"
CLEANUP = "rm -rf /var/lib/apt/lists/*"


def load(text: str):
    return YAML(typ="safe", pure=True).load(text)


def messages(result) -> list[tuple[int, str, str]]:
    return [(f.line, f.rule, f.message) for f in result.findings]


# --- GitLab -------------------------------------------------------------------------------------


def test_a_job_without_image_uses_the_default_one_and_its_lines_follow() -> None:
    text = (
        "default:\n  image: python:3.11-alpine\n"
        "test:\n  script:\n    - apk add --no-cache gcc\n    - pytest\n"
    )
    result = fix_gitlab(text, DEFAULT)
    assert load(result.new) == {
        "default": {"image": "python:3.11-slim-trixie"},
        "test": {"script": [f"{INSTALL} gcc && {CLEANUP}", "pytest"]},
    }
    assert [(c.rule, c.line) for c in result.changes] == [("ci-image", 2), ("ci-apk-to-apt", 5)]


def test_the_legacy_top_level_image_counts_too() -> None:
    text = "image: python:3.12-alpine\njob:\n  script: apk add git\n"
    assert load(fix_gitlab(text, DEFAULT).new)["job"]["script"] == f"{INSTALL} git && {CLEANUP}"


def test_image_name_form_and_extends() -> None:
    text = (
        ".base:\n  image:\n    name: python:3.10-alpine\n    entrypoint: ['']\n"
        "job:\n  extends: .base\n  before_script:\n    - apk add --no-cache make\n  script: [make]\n"
    )
    data = load(fix_gitlab(text, DEFAULT).new)
    assert data[".base"]["image"]["name"] == "python:3.10-slim-trixie"
    assert data["job"]["before_script"] == [f"{INSTALL} make && {CLEANUP}"]


def test_inherit_default_false_keeps_the_job_off_the_default_image() -> None:
    text = (
        "default:\n  image: python:3.11-alpine\n"
        "job:\n  inherit:\n    default: false\n  script: apk add gcc\n"
    )
    result = fix_gitlab(text, DEFAULT)
    assert load(result.new)["job"]["script"] == "apk add gcc"
    assert "python:3.11-slim-trixie" in result.new  # the default itself still moves


def test_inherit_default_list_without_image() -> None:
    text = (
        "default:\n  image: python:3.11-alpine\n"
        "job:\n  inherit:\n    default: [before_script]\n  script: apk add gcc\n"
    )
    assert load(fix_gitlab(text, DEFAULT).new)["job"]["script"] == "apk add gcc"


def test_image_from_a_variable_is_fixed_where_the_variable_is_set() -> None:
    text = (
        "variables:\n  PY_IMAGE: \"python:3.12-alpine\"\n"
        "job:\n  image: ${PY_IMAGE}\n  script: apk add gcc\n"
    )
    result = fix_gitlab(text, DEFAULT)
    assert result.new == (
        "variables:\n  PY_IMAGE: \"python:3.12-slim-trixie\"\n"
        f"job:\n  image: ${{PY_IMAGE}}\n  script: {INSTALL} gcc && {CLEANUP}\n"
    )


def test_reference_tags_are_followed_to_the_lines_they_name() -> None:
    text = (
        ".setup:\n  script:\n    - apk add --no-cache gcc\n"
        "job:\n  image: python:3.11-alpine\n  script:\n    - !reference [.setup, script]\n    - pytest\n"
    )
    data = load_with_reference(fix_gitlab(text, DEFAULT).new)
    assert data[".setup"]["script"] == [f"{INSTALL} gcc && {CLEANUP}"]


def load_with_reference(text: str):
    yaml = YAML(typ="safe", pure=True)
    yaml.constructor.add_constructor("!reference", lambda loader, node: loader.construct_sequence(node))
    return yaml.load(text)


def test_a_line_shared_with_a_job_on_another_image_is_reported() -> None:
    text = (
        "default:\n  image: python:3.11-alpine\n  before_script:\n    - apk add --no-cache gcc\n"
        "py:\n  script: [pytest]\n"
        "js:\n  image: node:20-alpine\n  script: [npm test]\n"
    )
    result = fix_gitlab(text, DEFAULT)
    assert "    - apk add --no-cache gcc\n" in result.new
    assert messages(result) == [(4, "ci-apk-to-apt", "also runs in jobs whose image is not migrated (js): translate it by hand")]


def test_a_template_used_by_no_job_is_migrated_on_its_own() -> None:
    text = ".python:\n  image: python:3.11-alpine\n  before_script:\n    - apk add libffi-dev\n"
    assert load(fix_gitlab(text, DEFAULT).new)[".python"]["before_script"] == [f"{INSTALL} libffi-dev && {CLEANUP}"]


def test_other_images_and_their_lines_are_left_alone() -> None:
    text = "job:\n  image: alpine:3.19\n  script:\n    - apk add python3\nnode:\n  image: node:alpine\n  script: apk add git\n"
    result = fix_gitlab(text, DEFAULT)
    assert not result.changed and result.findings == []


def test_services_images_are_migrated() -> None:
    text = "job:\n  image: docker:27\n  services:\n    - python:3.11-alpine\n    - name: python:3.12-alpine\n      alias: py\n    - postgres:alpine\n  script: [x]\n"
    data = load(fix_gitlab(text, DEFAULT).new)
    assert data["job"]["services"] == ["python:3.11-slim-trixie", {"name": "python:3.12-slim-trixie", "alias": "py"}, "postgres:alpine"]


def test_an_update_only_list_item_is_removed() -> None:
    text = "image: python:3.11-alpine\njob:\n  script:\n    - apk update\n    - apk add gcc\n"
    result = fix_gitlab(text, DEFAULT)
    assert load(result.new)["job"]["script"] == [f"{INSTALL} gcc && {CLEANUP}"]
    assert (4, "ci-apk-to-apt", "list item removed: apk update alone is not needed; each translated install runs its own apt-get update") in messages(result)


@pytest.mark.parametrize(
    "script",
    ["  script: apk update\n", "  script:\n    - apk update\n", "  script:\n    - apk update\n    - apk update -q\n"],
    ids=["string", "only-item", "all-items"],
)
def test_nothing_left_to_run_is_reported_when_it_cannot_go(script: str) -> None:
    text = "image: python:3.11-alpine\njob:\n" + script
    result = fix_gitlab(text, DEFAULT)
    assert load(result.new)["job"] == load(text)["job"]
    assert any(f.rule == "ci-apk-to-apt" and f.severity is Severity.WARNING for f in result.findings)


def test_a_block_scalar_line_number_is_that_of_the_shell_line() -> None:
    text = "image: python:3.11-alpine\njob:\n  script: |\n    pip install .\n    apk add --no-cache not-a-real-package-xyz\n"
    result = fix_gitlab(text, DEFAULT)
    [finding] = [f for f in result.findings if f.rule == "ci-apk-to-apt"]
    assert finding.line == 5 and "not-a-real-package-xyz" in finding.message
    assert "apk add --no-cache not-a-real-package-xyz" in result.new


def test_a_plain_string_that_cannot_hold_the_translation_is_reported() -> None:
    text = "image: python:3.11-alpine\njob:\n  script:\n    - apk update &&\n      pip install .\n"
    result = fix_gitlab(text, DEFAULT)
    assert "    - apk update &&\n" in result.new
    assert messages(result) == [
        (4, "ci-apk-to-apt", "apk calls not translated (translate them by hand): the new text cannot be written"
         " in this plain YAML string without changing how it reads")
    ]


def test_the_codename_reaches_the_package_names() -> None:
    text = "image: python:3.12-alpine\njob:\n  script: apk add c-ares\n"
    assert load(fix_gitlab(text, DEFAULT).new)["job"]["script"] == f"{INSTALL} libcares2 && {CLEANUP}"
    bookworm = load(fix_gitlab(text, Settings(codename="bookworm")).new)
    assert bookworm == {"image": "python:3.12-slim-bookworm", "job": {"script": f"{INSTALL} libc-ares2 && {CLEANUP}"}}


def test_package_overrides_reach_the_ci_lines() -> None:
    text = "image: python:3.12-alpine\njob:\n  script: apk add gcc\n"
    result = fix_gitlab(text, Settings(package_overrides={"gcc": "gcc-12"}))
    assert load(result.new)["job"]["script"] == f"{INSTALL} gcc-12 && {CLEANUP}"


def test_with_the_image_rule_off_nothing_is_translated() -> None:
    text = "image: python:3.12-alpine\njob:\n  script: apk add gcc\n"
    assert not fix_gitlab(text, Settings(ignore=frozenset({"ci-image"}))).changed


def test_with_the_shell_rule_off_only_the_image_moves() -> None:
    text = "image: python:3.12-alpine\njob:\n  script: apk add gcc\n"
    result = fix_gitlab(text, Settings(ignore=frozenset({"ci-apk-to-apt"})))
    assert result.new == "image: python:3.12-slim-trixie\njob:\n  script: apk add gcc\n"


def test_an_image_that_cannot_be_decided_migrates_nothing() -> None:
    text = "image: python:3.3-alpine\njob:\n  script: apk add gcc\n"
    result = fix_gitlab(text, DEFAULT)
    assert not result.changed
    assert [(f.line, f.rule, f.severity) for f in result.findings] == [(1, "ci-image", Severity.WARNING)]


def test_gitlab_yaml_errors_are_results() -> None:
    result = fix_gitlab("image: python:3.11-alpine\njob: [\n", DEFAULT)
    assert result.error is not None and result.error.startswith("YAML does not parse: line ")


def extends_chain(levels: int) -> str:
    """A job ``levels`` extends away from the template that sets a python Alpine image."""
    text = ".t0:\n  image: python:3.11-alpine\n"
    text += "".join(f".t{i}:\n  extends: .t{i - 1}\n" for i in range(1, levels))
    return text + f"job:\n  extends: .t{levels - 1}\n  script:\n    - apk add gcc\n"


def test_extends_up_to_eleven_levels_is_followed() -> None:
    assert load(fix_gitlab(extends_chain(11), DEFAULT).new)["job"]["script"] == [f"{INSTALL} gcc && {CLEANUP}"]


@pytest.mark.parametrize(
    "text",
    [
        extends_chain(12),
        "default:\n  image: python:3.11-alpine\na:\n  extends: b\n  script:\n    - apk add gcc\nb:\n  extends: a\n",
    ],
    ids=["twelve-levels", "cycle"],
)
def test_an_extends_chain_gitlab_refuses_leaves_the_lines_with_a_warning(text: str) -> None:
    result = fix_gitlab(text, DEFAULT)
    job = "job" if "job:" in text else "a"
    assert "    - apk add gcc\n" in result.new and "slim-trixie" in result.new
    assert [m for m in messages(result) if m[1] == "ci-apk-to-apt"] == [
        (text.splitlines().index("    - apk add gcc") + 1, "ci-apk-to-apt",
         f"the image of {job} could not be decided; it may now run on Debian: translate it by hand")
    ]


def test_default_scripts_run_by_a_job_on_another_image_are_reported() -> None:
    text = "default:\n  image: python:3.11-alpine\n  before_script:\n    - apk add gcc\njs:\n  image: node:20\n  script: [x]\n"
    result = fix_gitlab(text, DEFAULT)
    assert "    - apk add gcc\n" in result.new
    assert messages(result) == [(4, "ci-apk-to-apt", "also runs in jobs whose image is not migrated (js): translate it by hand")]


def test_a_job_that_does_not_inherit_variables_leaves_the_global_one() -> None:
    text = (
        "variables:\n  PY: python:3.11-alpine\n"
        "job:\n  inherit:\n    variables: false\n  image: $PY\n  script: apk add gcc\n"
    )
    assert not fix_gitlab(text, DEFAULT).changed


def test_each_template_is_merged_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """300 jobs over ten levels of templates with two parents each: without memoising, 2**10 merges a job."""
    text = ".l0a:\n  image: python:3.11-alpine\n.l0b:\n  variables:\n    A: b\n"
    text += "".join(f".l{k}{s}:\n  extends: [.l{k - 1}a, .l{k - 1}b]\n" for k in range(1, 10) for s in "ab")
    text += "".join(f"job{j}:\n  extends: [.l9a, .l9b]\n  script: apk add gcc\n" for j in range(300))
    merges = []
    merge = ci._Extends._merge
    monkeypatch.setattr(ci._Extends, "_merge", lambda self, job: merges.append(job) or merge(self, job))
    result = fix_gitlab(text, DEFAULT)
    assert sorted(merges) == sorted(load(text))  # every job and template once
    assert result.new.count(f"script: {INSTALL} gcc && {CLEANUP}\n") == 300


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        (".gitlab-ci.yml", GITLAB_CI),
        ("ci/templates/python.gitlab-ci.yml", GITLAB_CI),
        (".gitlab-ci.yaml", GITLAB_CI),
        ("gitlab-ci.yml", None),
        (".github/workflows/ci.yml", GITHUB_ACTIONS),
        ("repo/.github/workflows/release.yaml", GITHUB_ACTIONS),
        ("repo/.github/workflows/docker-compose.yml", GITHUB_ACTIONS),
        (".github/dependabot.yml", None),
        ("workflows/ci.yml", None),
    ],
)
def test_ci_file_names(path: str, kind: str | None) -> None:
    assert kind_of(path) == kind


# --- GitHub Actions -----------------------------------------------------------------------------


def test_container_string_and_its_run_steps() -> None:
    text = (
        "jobs:\n  test:\n    runs-on: ubuntu-latest\n    container: python:3.12-alpine\n"
        "    steps:\n      - uses: actions/checkout@v4\n      - run: |\n          apk add --no-cache gcc\n          pytest\n"
    )
    result = fix_github(text, DEFAULT)
    assert load(result.new)["jobs"]["test"] == {
        "runs-on": "ubuntu-latest",
        "container": "python:3.12-slim-trixie",
        "steps": [{"uses": "actions/checkout@v4"}, {"run": f"{INSTALL} gcc && {CLEANUP}\npytest\n"}],
    }


def test_container_image_mapping_and_services() -> None:
    text = (
        "jobs:\n  test:\n    container:\n      image: \"python:3.11-alpine\"\n"
        "    services:\n      py:\n        image: python:3.12-alpine\n      redis:\n        image: redis:alpine\n"
        "    steps:\n      - run: apk add git\n"
    )
    job = load(fix_github(text, DEFAULT).new)["jobs"]["test"]
    assert job["container"]["image"] == "python:3.11-slim-trixie"
    assert job["services"] == {"py": {"image": "python:3.12-slim-trixie"}, "redis": {"image": "redis:alpine"}}
    assert job["steps"] == [{"run": f"{INSTALL} git && {CLEANUP}"}]


def test_a_service_image_alone_does_not_migrate_the_steps() -> None:
    text = "jobs:\n  test:\n    services:\n      py:\n        image: python:3.12-alpine\n    steps:\n      - run: apk add git\n"
    assert load(fix_github(text, DEFAULT).new)["jobs"]["test"]["steps"] == [{"run": "apk add git"}]


@pytest.mark.parametrize(
    ("shells", "translated"),
    [
        ({"step": "bash"}, True),
        ({"step": "sh -e {0}"}, True),
        ({"step": "pwsh"}, False),
        ({"job": "python"}, False),
        ({"workflow": "powershell"}, False),
        ({"workflow": "powershell", "step": "bash"}, True),
    ],
)
def test_only_sh_and_bash_steps_are_translated(shells: dict[str, str], translated: bool) -> None:
    def defaults(where: str, indent: str) -> str:
        return f"{indent}defaults:\n{indent}  run:\n{indent}    shell: {shells[where]}\n" if where in shells else ""

    text = (
        defaults("workflow", "")
        + "jobs:\n  test:\n    container: python:3.12-alpine\n"
        + defaults("job", "    ")
        + "    steps:\n      - run: apk add git\n"
        + (f"        shell: {shells['step']}\n" if "step" in shells else "")
    )
    run = load(fix_github(text, DEFAULT).new)["jobs"]["test"]["steps"][0]["run"]
    assert (run != "apk add git") is translated


def test_a_step_left_with_nothing_to_run_is_reported() -> None:
    text = "jobs:\n  t:\n    container: python:3.12-alpine\n    steps:\n      - run: apk update\n"
    result = fix_github(text, DEFAULT)
    assert "run: apk update" in result.new
    assert messages(result)[-1][1:] == (
        "ci-apk-to-apt",
        "nothing is left to run here (apk update alone is not needed; each translated install runs its own apt-get update): remove it by hand",
    )


def test_fix_text_dispatches_ci_files() -> None:
    text = "jobs:\n  t:\n    container: python:3.12-alpine\n"
    assert "python:3.12-slim-trixie" in fix_text(text, GITHUB_ACTIONS, DEFAULT).new
    assert "python:3.12-slim-trixie" in fix_text("image: python:3.12-alpine\n", GITLAB_CI, DEFAULT).new


# --- images named through expressions and variables ---------------------------------------------


def test_a_matrix_image_is_reported_and_its_job_lines_stay() -> None:
    text = (
        "jobs:\n  t:\n    strategy:\n      matrix:\n        py: ['3.11', '3.12']\n        include:\n          - py: 3.13-alpine\n"
        "    container: python:${{ matrix.py }}\n    steps:\n      - run: apk add gcc\n"
    )
    result = fix_github(text, DEFAULT)
    assert result.new == text
    ((line, rule, message),) = messages(result)
    assert (line, rule) == (8, "ci-image")
    assert "python:3.13-alpine (line 7)" in message and "3.11" not in message


def test_expression_values_that_are_not_python_alpine_are_not_reported() -> None:
    text = "env:\n  IMG: python:3.12-slim\njobs:\n  t:\n    container: ${{ env.IMG }}\n    services:\n      c:\n        image: python:3.11-alpine\n"
    result = fix_github(text, DEFAULT)
    assert messages(result) == [] and "python:3.11-slim-trixie" in result.new


def test_a_gitlab_matrix_overriding_a_migrated_variable_keeps_the_job_lines() -> None:
    text = (
        "variables:\n  IMG: python:3.12-alpine\n"
        "a:\n  image: $IMG\n  parallel:\n    matrix:\n      - IMG: python:3.11-alpine\n  script: apk add gcc\n"
        "b:\n  image: $IMG\n  script: apk add git\n"
    )
    data = load(fix_gitlab(text, DEFAULT).new)
    assert data["variables"]["IMG"] == "python:3.12-slim-trixie"
    assert data["a"] == {"image": "$IMG", "parallel": {"matrix": [{"IMG": "python:3.11-alpine"}]}, "script": "apk add gcc"}
    assert data["b"]["script"] == f"{INSTALL} git && {CLEANUP}"


def test_hidden_images_are_not_reported_when_the_image_rule_is_off() -> None:
    text = "variables:\n  V: 3.11-alpine\njob:\n  image: python:$V\n  script: apk add gcc\n"
    assert fix_gitlab(text, Settings(ignore=frozenset({"ci-image"}))).findings == []
