"""Write expected.* and warnings.txt for fixture cases from the current tool.

Usage: python scripts/regen_fixtures.py tests/fixtures/CASE... -- then REVIEW `git diff` by hand:
a fixture is only as good as the review of its expected output.
"""
import sys, shlex
from pathlib import Path
sys.path.insert(0, "tests")
from test_fixtures import _settings, _input, _read
from rewriter.api import fix_text
from test_fixtures import _kind
for case in sys.argv[1:]:
    case = Path(case)
    inp = _input(case)
    r = fix_text(_read(inp), _kind(inp), _settings(case))
    assert r.error is None, (case, r.error)
    exp = case / ("expected" + inp.suffix)
    if r.new != r.old:
        exp.write_bytes(r.new.encode())
    elif exp.exists():
        exp.unlink()
    w = case / "warnings.txt"
    lines = [f"{f.line}: {f.rule}: {f.message}" for f in r.findings]
    if lines:
        w.write_text("\n".join(lines) + "\n")
    elif w.exists():
        w.unlink()
