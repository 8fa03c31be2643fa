"""Fair distributions over quota-satisfying panels: maximin, leximin and Nash welfare.

All three work in person-type space and share the column-generation machinery of `columns`.
Each module exposes a function TypeSpace -> Distribution (`maximin`, `leximin`, `nash`) and the
registry entry point `select(instance, *, seed, options, progress) -> SelectionResult`.
"""
