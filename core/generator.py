"""Compatibility path documented in the README: `python -m core.generator --write-examples examples/`.

The synthetic pool generator now lives in `core/io/generator.py` (`python -m core.io.generator` does
the same); import from there in new code.
"""

from .io.generator import main

__all__ = ["main"]

if __name__ == "__main__":
    raise SystemExit(main())
