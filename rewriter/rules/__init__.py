"""Dockerfile rules, one module each.  ``RULES`` is the registry, in application order."""

from __future__ import annotations

from types import ModuleType

from . import apk_to_apt, base_image

RULES: tuple[ModuleType, ...] = (base_image, apk_to_apt)
RULE_IDS: tuple[str, ...] = tuple(rule.RULE_ID for rule in RULES)
