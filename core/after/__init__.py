"""After the draw: replacements for panel members who decline, and an optimised reserve list."""
