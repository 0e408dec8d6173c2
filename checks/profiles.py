"""Hypothesis profiles shared by pytest (``--hypothesis-profile``) and the CLI (``--profile``).

* ``ci``: derandomised (the same examples on every run and machine), small, no deadline.
* ``dev``: the default; random, a few more examples, failures saved to the local database.
* ``fuzz``: thousands of examples per theorem for long campaigns.
"""
from __future__ import annotations

from hypothesis import HealthCheck, Phase, settings

# every phase but ``explain``: after shrinking a counterexample, explain re-runs the test some
# 200 times to say which parts of the input do not matter; the reports do not use it, and it
# made up 90% of the time of a refuted claim (kim2022.mcsa_jsa: 5.4 s of 6 s)
_PHASES = (Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink)
PROFILES: dict[str, dict] = {
    "ci": dict(max_examples=12, derandomize=True, deadline=None, database=None,
               print_blob=True, phases=_PHASES),
    "dev": dict(max_examples=40, deadline=None, print_blob=True, phases=_PHASES),
    "fuzz": dict(max_examples=2000, deadline=None, print_blob=True, phases=_PHASES),
}
_SUPPRESS = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large,
             HealthCheck.function_scoped_fixture]


def register_profiles() -> None:
    """Register every profile with hypothesis (idempotent)."""
    for name, kw in PROFILES.items():
        settings.register_profile(name, suppress_health_check=_SUPPRESS, **kw)


def profile_settings(name: str) -> settings:
    """The hypothesis settings of profile ``name``; ``KeyError`` names the valid choices."""
    if name not in PROFILES:
        raise KeyError(f"unknown profile {name!r}; valid: {', '.join(PROFILES)}")
    register_profiles()
    return settings.get_profile(name)


register_profiles()
