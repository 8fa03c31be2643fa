"""What the input says before any selection runs: households found in the address columns
(`households`) and volunteers no quota-satisfying panel can contain (`never_selectable`)."""
