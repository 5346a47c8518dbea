"""What a module's demo step gets (:class:`DemoContext`).

Its own module so that the module services (``ledger``, ``health``, ``comply``, …) can name it
in their ``demo_step`` without importing :mod:`quickturn.services.demo`, which imports them
(no import cycle; ``tests/test_architecture.py`` checks).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from quickturn.config import Settings
from quickturn.store import Store


@dataclass
class DemoContext:
    """What a module's demo step gets."""

    store: Store
    settings: Settings
    today: date  # the demo's "as of" day: history ends the day before
    seed: int
    results: dict[str, Any] = field(default_factory=dict)
    progress: Callable[[str], None] = lambda _msg: None
