"""``quickturn channel --sku X``: self-operated vs semi-managed vs fully managed, side by side.

Data flow: flags → ``services.channel.compare_models`` → Rich table or JSON.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from quickturn.cli.common import (
    Cli,
    ConfigOpt,
    DbOpt,
    JsonOpt,
    LangOpt,
    fmt_cell,
    handle_errors,
    make_cli,
)
from quickturn.cli.plan import AsOfOpt, ScenariosOpt, SeedOpt, _pct, _today, _usd

ROWS = (
    ("price_set_by", "price set by", "text"),
    ("stock_held_by", "stock held by", "text"),
    ("ships_orders", "ships orders", "text"),
    ("paid", "seller is paid", "text"),
    ("unsold_stock", "unsold stock", "text"),
    ("revenue_per_unit_usd", "revenue per unit", "usd2"),
    ("unit_margin_usd", "unit margin", "usd2"),
    ("days_to_cash", "days from sale to cash", "qty"),
    ("policy", "best replenishment", "code"),
    ("expected_profit_usd", "exp. profit", "usd"),
    ("profit_p05_usd", "profit P5", "usd"),
    ("cvar_usd", "CVaR (loss)", "usd"),
    ("fill_rate", "fill rate", "pct"),
    ("stockout_prob", "P(stock-out before next arrival)", "pct"),
    ("dead_stock_qty", "dead stock (units)", "qty"),
    ("peak_cash_usd", "peak cash", "usd"),
)


def _cell(kind: str, v: Any, cli: Cli) -> str:
    if v is None:
        return "—"
    if kind == "usd":
        return _usd(v)
    if kind == "usd2":
        return f"${v:,.2f}"
    if kind == "pct":
        return _pct(v)
    if kind == "text":
        return str(v)
    if kind == "code":
        return str(v)
    return fmt_cell(v)


@handle_errors
def channel(
    sku: Annotated[str, typer.Option("--sku", help="The SKU to compare.")],
    scenarios: ScenariosOpt = None,
    seed: SeedOpt = None,
    as_of: AsOfOpt = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
    json_: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Operating models (托管模式) for one SKU: self-operated, semi- and fully managed."""
    from quickturn.services.channel import compare_models

    cli = make_cli(db, json_, lang, config)
    with cli.open_store() as store:
        today = _today(cli, as_of, store)
        d = compare_models(
            store, today=today, sku=sku, app_settings=cli.settings, scenarios=scenarios, seed=seed
        )
    for m in d["models"]:
        facts = m.pop("_facts", {})
        for key, (template, values) in facts.items():
            m[key] = cli._(template, **values)
    if json_:
        cli.print_json(d)
        return
    render(cli, d)


def render(cli: Cli, d: dict[str, Any]) -> None:
    _ = cli._
    cli.console.print(
        _(
            "[bold]{sku}[/] {title}: retail {p}, landed cost {l}; {m} scenarios × {h} days",
            sku=d["sku_id"],
            title=d["title"],
            p=f"${d['retail_price_usd']:.2f}",
            l=f"${d['landed_cost_usd']:.2f}",
            m=d["scenarios"],
            h=d["horizon_days"],
        )
    )
    models = d["models"]
    cli.table(
        _("Operating models side by side"),
        ["", *[_(m["model"]) + (" ✓" if m["model"] == d["recommended"] else "") for m in models]],
        [(_(label), *[_cell(kind, m[key], cli) for m in models]) for key, label, kind in ROWS],
    )
    cli.console.print(
        _(
            "Recommended: {model} (highest expected profit after the risk charge). Terms are "
            "assumptions — set them in the channel: section of quickturn.yaml.",
            model=_(d["recommended"]),
        )
    )
