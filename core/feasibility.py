"""Compatibility path documented in the README (`from core.feasibility import check`).

The feasibility check and minimal repair now live in `core/analysis/feasibility.py`; import from
there in new code.
"""

from .analysis.feasibility import check

__all__ = ["check"]
