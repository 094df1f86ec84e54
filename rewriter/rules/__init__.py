"""Dockerfile rules, one module each.  ``RULES`` is the registry, in application order."""

from __future__ import annotations

from types import ModuleType

from . import apk_to_apt, arch_paths, base_image, busybox_applets, cache_mounts, copied_scripts, process_helpers, renovate, scanelf, shells, users

RULES: tuple[ModuleType, ...] = (
    base_image, apk_to_apt, scanelf, cache_mounts, busybox_applets, arch_paths, renovate, users, process_helpers, shells,
    copied_scripts,
)
# Rules of the other file kinds live with their handlers (compose.py, ci.py, pysource.py), which
# import heavy parsers (ruamel.yaml, libcst); their ids and summaries are listed here so the CLI can
# check --select/--ignore and list them without importing those (a test keeps both in step).
OTHER_RULES: dict[str, str] = {
    "compose-image": "Rewrite python Alpine images in Compose files to a published python:X-slim-<codename> tag",
    "ci-image": "Rewrite python Alpine images of CI jobs to a published python:X-slim-<codename> tag",
    "ci-apk-to-apt": "Translate apk calls in the shell lines of migrated CI jobs into apt-get",
    "python-image": "Rewrite string literals in Python code that name python Alpine images",
    "python-apk-to-apt": "Translate apk commands next to a migrated image in Python code into apt-get",
    "compose-build": "Process the Dockerfiles Compose services build; report build args that change their FROM",
}
RULE_IDS: tuple[str, ...] = tuple(rule.RULE_ID for rule in RULES) + tuple(OTHER_RULES)
