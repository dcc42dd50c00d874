"""Lifecycle commands: scale, update, restart, apply, rollout (and fit). Each change is previewed by simulating
Grove on the current state, validated by the server (``dryRun=All``), confirmed, then written with a precondition."""
