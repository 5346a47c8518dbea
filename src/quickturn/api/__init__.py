"""Public Python API modules (``qt.ledger``, ``qt.sense``, …), thin wrappers over services."""
