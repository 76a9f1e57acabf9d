"""Building the learned name and address detector: generated data and training (build time only)."""
