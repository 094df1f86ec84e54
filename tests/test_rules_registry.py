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


def test_overlapping_changes_of_two_rules_keep_the_first_and_name_the_other(monkeypatch) -> None:
    import types

    from rewriter import api
    from rewriter.edits import Edit, Fix
    from rewriter.findings import RuleOutput

    text = "FROM python:3.12-alpine\nRUN echo hi\n"
    at = text.index("echo")

    def rule(rule_id: str, replacement: str) -> types.SimpleNamespace:
        return types.SimpleNamespace(RULE_ID=rule_id, check=lambda ctx: RuleOutput(fixes=[Fix((Edit(at, at + 4, replacement),))]))

    monkeypatch.setattr(api, "RULES", [rule("first-rule", "printf"), rule("second-rule", "print")])
    result = api.fix_text(text)
    assert result.new == "FROM python:3.12-alpine\nRUN printf hi\n"
    [finding] = result.findings
    assert finding.line == 2 and "second-rule" in finding.message and "by hand" in finding.message
