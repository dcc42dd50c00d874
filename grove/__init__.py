"""kubectl-grove: a kubectl plugin and terminal UI for Grove inference workloads."""

__version__ = "0.1.0"
