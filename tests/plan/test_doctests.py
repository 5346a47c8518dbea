"""The docstring examples of the plan core run and pass."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize(
    "module",
    [
        "formulas",
        "simulate",
        "budget",
        "quick_response",
        "policies",
        "engine",
        "inputs",
        "settings",
    ],
)
def test_docstring_examples(module: str) -> None:
    mod = importlib.import_module(f"quickturn.core.plan.{module}")
    result = doctest.testmod(mod)
    assert result.failed == 0
