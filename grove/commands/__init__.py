"""The CLI: flag parsing, choosing a source, wiring the loop, printing or running the TUI, mutations."""
