"""Plan core: closed-form inventory models, the daily Monte Carlo simulator, policy families.

Data flow: demand sample paths (n_skus × n_scenarios × horizon) and per-SKU economics arrays
→ :mod:`.simulate` (Numba kernel) evaluates candidate policy parameters on common random
numbers → :mod:`.policies` pick the best parameters per family and SKU →
:mod:`.budget` allocates a cash budget across SKUs.  :mod:`.formulas` holds the textbook
models the simulator is checked against.  Nothing here does IO or reads the clock.
"""
