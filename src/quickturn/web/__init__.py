"""Web dashboard (FastAPI)."""
