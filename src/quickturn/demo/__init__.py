"""The seeded demo shop generator (pure: no IO, no clock).

``generate(DemoConfig(n_skus=300, days=365, seed=7, as_of=date(...)))`` returns a
:class:`DemoShop` whose ``tables`` hold a canonical frame for every input table of
``schema.py``; ``bulk_order_lines`` streams large synthetic order-line frames for benchmarks.
See docs/demo.md for the story.
"""

from quickturn.demo.config import DEFAULT_AS_OF, DemoConfig, Story
from quickturn.demo.generator import TABLE_ORDER, DemoShop, generate

__all__ = ["DEFAULT_AS_OF", "TABLE_ORDER", "DemoConfig", "DemoShop", "Story", "generate"]
