"""Reading what comes in: files (limits checked before parsing) and command-line numbers."""
