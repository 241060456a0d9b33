"""Use cases: one module per capability, each working through the ports."""
