"""Reading what comes in and writing what goes out: files (limits checked before parsing),
command-line numbers, and downloads safe to open in a spreadsheet."""
