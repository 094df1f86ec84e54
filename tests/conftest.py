"""Hypothesis profiles.  Without HYPOTHESIS_PROFILE nothing is loaded: every test keeps its own
settings, and the property tests in test_properties.py run 200 examples each (the CI run).
The long run, for a machine with time to spare:

    HYPOTHESIS_PROFILE=long .venv/bin/python -m pytest tests/test_properties.py
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
settings.register_profile("ci", max_examples=200, deadline=None, suppress_health_check=_QUIET)
settings.register_profile("long", max_examples=20_000, deadline=None, suppress_health_check=_QUIET)
# CI runs the same examples every time (derandomized), so a submission's result does not depend on
# luck; exploring new examples is what the local and the long runs are for.
settings.register_profile("ci-fixed", parent=settings.get_profile("ci"), derandomize=True)
if os.environ.get("HYPOTHESIS_PROFILE"):
    settings.load_profile(os.environ["HYPOTHESIS_PROFILE"])
elif os.environ.get("CI"):
    settings.load_profile("ci-fixed")
