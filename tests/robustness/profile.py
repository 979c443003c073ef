"""How big the robustness suites run: CI-size by default, `CMDESK_ROBUSTNESS=nightly` for more.

Every random choice is seeded, so a failure reproduces with the same profile.
"""

from __future__ import annotations

import os

NIGHTLY = os.environ.get("CMDESK_ROBUSTNESS", "").strip().lower() == "nightly"

#: SIGKILLs of `cmdesk sync --once` (one fresh store each).
CRASH_TRIALS = 24 if NIGHTLY else 8
#: Hypothesis examples per connector parser (`CMDESK_FUZZ_EXAMPLES` overrides, to dig).
FUZZ_EXAMPLES = int(os.environ.get("CMDESK_FUZZ_EXAMPLES", 10_000 if NIGHTLY else 300))
#: The seed of every random choice (kill points, fuzz runs).
SEED = int(os.environ.get("CMDESK_ROBUSTNESS_SEED", "20261124"))
