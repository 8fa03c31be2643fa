"""Compatibility path documented in the README (`from core.examples import load_example`).

The bundled examples now live in `core/io/examples.py`; import from there in new code.
"""

from .io.examples import load_example

__all__ = ["load_example"]
