"""Derivations: pure functions from a folded ``State`` to what the views show (hierarchy, GPU accounting,
placement, health, topology, rollout progress, reports, Kubernetes Event rows, metrics per role).

They read the state and never change it. Those worth keeping between states are carried over by identity of their
inputs (grove/reducers/carryover.py) and memoised on one state (``State.memoised``), each declared with whether it
reads the clock (grove/reducers/derivation.py). The fold itself (reduce, batch, state, indexes) is one level up and
imports nothing from here (an import-linter contract).
"""
