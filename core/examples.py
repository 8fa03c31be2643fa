"""Compatibility path documented in the README (`from core.examples import load_example`).

The bundled examples now live in `core/io/examples.py`; import from there in new code.
"""

from .io.examples import EXAMPLES_FOLDER, ExampleInfo, list_examples, load_example

__all__ = ["EXAMPLES_FOLDER", "ExampleInfo", "list_examples", "load_example"]
