"""Pure folding of events into state, and the derivations (hierarchy, GPUs, placement, health, rollout)."""
