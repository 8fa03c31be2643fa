"""Compatibility path documented in the README (`from core.metrics import probability_metrics`).

The metrics now live in `core/analysis/metrics.py`; import from there in new code.
"""

from .analysis.metrics import probability_metrics

__all__ = ["probability_metrics"]
