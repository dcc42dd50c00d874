"""Simulating Grove: the operator, a gang scheduler and the kubelets, as pure functions from a state and an intent to
the events they would produce. Previews of lifecycle commands and the bundled recordings come from here.

Depends on ``grove.events`` and ``grove.reducers`` only; ``grove.views`` and ``grove.commands`` use it.
"""
