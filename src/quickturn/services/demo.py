"""The demo use case: generate the seeded demo shop, store it, run every module, summarise.

Contract for modules (each module adds itself to ``STEPS``):

* ``quickturn.services.<module>.demo_step(ctx: DemoContext) -> dict[str, Any]`` runs the module
  on the demo store and returns a JSON-able section for ``quickturn demo --json``;
* ``quickturn.cli.<module>.render_demo(cli, section)`` prints that section with Rich.

Steps run in the order of ``STEPS``; a later step may read an earlier one's section from
``ctx.results`` (but should prefer what the earlier step persisted in the store).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from quickturn.config import Settings
from quickturn.store import Store

#: module names, in run order; each provides ``services.<name>.demo_step``
STEPS: list[str] = [
    # --- ledger ---
    "ledger",
    # --- sense ---
    # --- plan ---
    # --- health ---
    # --- comply ---
]


@dataclass
class DemoContext:
    """What a module's demo step gets."""

    store: Store
    settings: Settings
    today: date  # the demo's "as of" day: history ends the day before
    seed: int
    results: dict[str, Any] = field(default_factory=dict)
    progress: Callable[[str], None] = lambda _msg: None
