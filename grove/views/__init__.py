"""Pure functions from derived models to Rich renderables (commands) and row models (the TUI)."""
