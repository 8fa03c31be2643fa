"""Reading what comes in and writing what goes out: pool and quota files (`loaders`, `tables`,
`validation`; limits checked before parsing in `limits`), the bundled examples (`examples`), the
synthetic pool generator (`generator`) and scenario files (`scenarios`), command-line numbers
(`arguments`), and downloads safe to open in a spreadsheet (`export`)."""
