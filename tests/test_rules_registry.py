"""The rule registry the CLI checks ids against matches the rules the handlers really apply."""

from rewriter import ci, compose, links, pysource
from rewriter.rules import OTHER_RULES, RULE_IDS, RULES


def test_other_kinds_rule_ids_match_their_handlers() -> None:
    handler_rules = {compose.RULE_ID: compose.SUMMARY, links.RULE_ID: links.SUMMARY, **ci.SUMMARIES}
    assert {k: OTHER_RULES[k] for k in handler_rules} == handler_rules
    assert {pysource.IMAGE_RULE, pysource.APK_RULE} <= set(OTHER_RULES)
    assert set(OTHER_RULES) == set(handler_rules) | {pysource.IMAGE_RULE, pysource.APK_RULE}


def test_rule_ids_are_unique_kebab_case_with_summaries() -> None:
    assert len(RULE_IDS) == len(set(RULE_IDS))
    for rule_id in RULE_IDS:
        assert rule_id == rule_id.lower() and " " not in rule_id and "_" not in rule_id
    for rule in RULES:
        assert rule.SUMMARY and rule.__doc__ and rule.check
