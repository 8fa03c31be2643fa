"""How many quota-satisfying panels there are, and the uniform distribution over them.

- `core.counting.dynamic`: the exact count, type marginals and uniform sampling by dynamic programming.
- `core.counting.estimate`: the count, exact or estimated by sequential importance sampling.
- `core.counting.chain`: swap Markov chains on valid panels (approximate uniform sampling).
- `core.counting.uniform`: `select`, the "uniform" algorithm of the registry (`core.counting:select`).
"""

from .chain import SwapChain
from .dynamic import (
                      DP_TIME_LIMIT,
                      EDGE_LIMIT,
                      PAIR_LIMIT,
                      STATE_LIMIT,
                      Lookahead,
                      PanelCounter,
                      TooManyStates,
                      Unit,
                      units_of,
)
from .estimate import ESTIMATE_SAMPLES, PanelCount, count_panels, estimate_count
from .uniform import (
                      CHAIN_COUNT_SAMPLES,
                      CHAIN_STEP_LIMIT,
                      CHAIN_STEPS,
                      ENUMERATION_LIMIT,
                      select,
)

__all__ = [
                      "CHAIN_COUNT_SAMPLES",
                      "CHAIN_STEPS",
                      "CHAIN_STEP_LIMIT",
                      "DP_TIME_LIMIT",
                      "EDGE_LIMIT",
                      "ENUMERATION_LIMIT",
                      "ESTIMATE_SAMPLES",
                      "PAIR_LIMIT",
                      "STATE_LIMIT",
                      "Lookahead",
                      "PanelCount",
                      "PanelCounter",
                      "SwapChain",
                      "TooManyStates",
                      "Unit",
                      "count_panels",
                      "estimate_count",
                      "select",
                      "units_of",
]
