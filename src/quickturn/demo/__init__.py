"""The seeded demo shop generator."""
