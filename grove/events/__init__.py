"""Sources of events: the event values, recordings, the live Kubernetes source and simulators."""
