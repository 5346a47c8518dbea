"""Use cases: load via store/connectors → call core → persist."""
