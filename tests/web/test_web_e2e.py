"""End-to-end: Debian's Chromium (Playwright) against a live ``quickturn serve`` on 127.0.0.1.

Every page in English and Chinese with its charts drawn, SKU table filtering and sorting,
the drill-down from the ledger to an order line's sources, the live compliance check, the
401 and the login form when a token is required, and the report opened offline.
Screenshots go to ``test-artifacts/`` (gitignored).
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web_support import LiveServer, plan_module_installed

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TOKEN = "e2e-token-0123456789abcdef"

PAGES: list[tuple[str, str, str, bool]] = [
    # name, path, a string that must be on the page in English / Chinese (by lang), chart?
    ("overview", "/", "True margin|真实利润", True),
    ("skus", "/skus", "Days of cover|可售天数", False),
    ("sku", "/skus/{sku}", "Demand and forecast|需求与预测", True),
    ("plan", "/plan", "Today's purchase orders|今日采购单", True),
    ("backtest", "/backtest", "Policies side by side|策略对比", True),
    ("ledger", "/ledger", "Landed cost|到岸成本", True),
    ("content", "/content", "Creators|达人", True),
    ("health", "/health", "Late dispatch rate|迟发货率", True),
    ("compliance", "/compliance", "Check a draft|检查草稿", False),
]


@pytest.fixture(scope="module")
def browser(chromium_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=chromium_path,
            headless=True,
            args=ARGS,
            viewport={"width": 1400, "height": 900},
        )
        ctx.set_default_timeout(60_000)
        try:
            yield ctx
        finally:
            ctx.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    pg = browser.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.errors = errors
    try:
        yield pg
    finally:
        pg.close()


def _sku_with_plan(live_server: LiveServer, page: Any) -> str:
    r = page.request.get(
        live_server.url + "/api/v1/skus?sort=stockout_prob&order=desc&per_page=100"
    )
    items = r.json()["items"]
    return next(i["sku_id"] for i in items if i["chosen_policy"] in ("heavy", "qr", "dual"))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_page_in_both_languages(
    live_server: LiveServer, page: Any, lang: str, artifacts: Path
) -> None:
    sku = _sku_with_plan(live_server, page)
    for name, path, text, has_chart in PAGES:
        url = live_server.url + path.format(sku=sku) + f"?lang={lang}"
        resp = page.goto(url)
        assert resp is not None and resp.status == 200, url
        want = text.split("|")[0 if lang == "en" else 1]
        assert want in page.content(), f"{name} ({lang}) lacks {want!r}"
        assert page.locator("html").get_attribute("lang") == ("en" if lang == "en" else "zh-Hans")
        if has_chart:
            page.wait_for_selector(".main-svg")
        if name == "sku" and plan_module_installed():
            page.wait_for_selector("#fig-projection .main-svg", timeout=120_000)
        elif name == "sku":
            assert page.locator("#projection-unavailable").count() == 1
        page.screenshot(path=str(artifacts / f"web-{name}-{lang}.png"), full_page=True)
    assert not [e for e in page.errors if "favicon" not in e], page.errors


def test_sku_table_filter_and_sort(live_server: LiveServer, page: Any, artifacts: Path) -> None:
    page.goto(live_server.url + "/skus?lang=en")
    rows = page.locator("#sku-table tbody tr[data-sku]")
    total = rows.count()
    assert total > 10
    first = rows.first.get_attribute("data-sku")
    needle = first[:3]
    page.fill("#sku-q", needle.lower())
    page.press("#sku-q", "Enter")
    page.wait_for_url(re.compile(r"q=" + needle.lower()))
    shown = page.locator("#sku-table tbody tr[data-sku]")
    assert 0 < shown.count() < total
    for i in range(shown.count()):
        assert needle.lower() in shown.nth(i).inner_text().lower()
    # phase filter (auto-submits)
    page.goto(live_server.url + "/skus?lang=en")
    options = page.locator("select[name=phase] option")
    phase_value = options.nth(1).get_attribute("value")
    phase_text = options.nth(1).inner_text().strip()
    page.select_option("select[name=phase]", phase_value)
    page.wait_for_url(re.compile("phase=" + phase_value))
    badges = page.locator("#sku-table tbody tr[data-sku] td:nth-child(3) .badge:not(.warnish)")
    assert badges.count() > 0
    assert {badges.nth(i).inner_text().strip() for i in range(badges.count())} == {phase_text}
    # sorting by margin: click twice for descending
    page.goto(live_server.url + "/skus?lang=en&per_page=500")
    page.click("a.sort[data-sort=margin_usd]")
    page.wait_for_url(re.compile("sort=margin_usd"))
    values = [
        float(v)
        for v in page.locator("#sku-table tbody td[data-value]").evaluate_all(
            "els => els.map(e => e.dataset.value).filter(v => v !== '')"
        )
    ]
    order = "desc" if "order=desc" in page.url else "asc"
    assert values == sorted(values, reverse=order == "desc") and len(values) > 5
    page.click("a.sort[data-sort=margin_usd]")
    page.wait_for_url(re.compile("order=" + ("asc" if order == "desc" else "desc")))
    again = [
        float(v)
        for v in page.locator("#sku-table tbody td[data-value]").evaluate_all(
            "els => els.map(e => e.dataset.value).filter(v => v !== '')"
        )
    ]
    assert again == sorted(values, reverse=order != "desc")
    page.screenshot(path=str(artifacts / "web-skus-sorted.png"))


def test_ledger_drill_down_to_sources(live_server: LiveServer, page: Any, artifacts: Path) -> None:
    page.goto(live_server.url + "/ledger?lang=en&by=sku")
    page.wait_for_selector(".main-svg")
    page.locator("#ledger-table a.drill").first.click()
    page.wait_for_url(re.compile(r"/ledger/lines\?"))
    assert page.locator("#lines-table tbody tr").count() > 0
    page.locator("#lines-table a.drill").first.click()
    page.wait_for_url(re.compile(r"/ledger/sources\?order_id=\d+"))
    tables = page.locator("#sources-table tbody tr td:nth-child(7) code")
    assert tables.count() >= 2
    assert "order_lines" in {tables.nth(i).inner_text() for i in range(tables.count())}
    page.screenshot(path=str(artifacts / "web-ledger-sources.png"), full_page=True)


def test_live_compliance_check(live_server: LiveServer, page: Any, artifacts: Path) -> None:
    page.goto(live_server.url + "/compliance?lang=zh")
    page.fill("#check-text", "This serum cures acne in 3 days! 这款面霜可以治疗湿疹")
    page.wait_for_selector("#check-result code:text('CLAIM_MEDICAL')")
    assert "有阻断性问题" in page.inner_text("#check-result")
    page.fill("#check-text", "A soft cotton tee in three colours.")
    page.wait_for_selector("#check-result p.ok")
    page.screenshot(path=str(artifacts / "web-compliance-check.png"))


def test_language_switch_is_remembered(live_server: LiveServer, page: Any) -> None:
    page.context.clear_cookies()
    page.set_extra_http_headers({"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    try:
        page.goto(live_server.url + "/")
        assert page.locator("html").get_attribute("lang") == "zh-Hans"  # from Accept-Language
        assert "真实利润" in page.content()
        page.click(".langs a[hreflang=en]")
        page.wait_for_url(re.compile(r"lang=en"))
        assert page.locator("html").get_attribute("lang") == "en"
        assert "True margin" in page.content()
        page.goto(live_server.url + "/skus")  # no ?lang: the cookie wins over the header
        assert page.locator("html").get_attribute("lang") == "en"
        assert "Days of cover" in page.content()
        page.click(".langs a[hreflang=zh-Hans]")
        page.wait_for_url(re.compile(r"lang=zh"))
        page.goto(live_server.url + "/health")
        assert page.locator("html").get_attribute("lang") == "zh-Hans"
        assert "迟发货率" in page.content()
    finally:
        page.set_extra_http_headers({})
        page.context.clear_cookies()


def test_purchase_orders_export_as_csv(live_server: LiveServer, page: Any) -> None:
    page.goto(live_server.url + "/plan?lang=en")
    with page.expect_download() as info:
        page.click("#po-csv")
    download = info.value
    assert download.suggested_filename.startswith("purchase-orders-")
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    plan = page.request.get(live_server.url + "/api/v1/plan").json()
    pos = [a for a in plan["actions"] if a["kind"] == "purchase_order"]
    assert len(rows) == len(pos) > 0
    assert sorted(int(r["quantity"]) for r in rows) == sorted(a["quantity"] for a in pos)
    assert {r["sku"] for r in rows} == {a["sku_id"] for a in pos}  # the plan's supplier CSV


def test_token_required_gives_401_and_the_login_form_works(
    web_demo_file: Path, tmp_path: Path, page: Any, artifacts: Path
) -> None:
    db = tmp_path / "guarded.duckdb"
    shutil.copyfile(web_demo_file, db)
    server = LiveServer(db, env={"QUICKTURN_TOKEN": TOKEN})
    try:
        resp = page.goto(server.url + "/plan?lang=en")
        assert resp is not None and resp.status == 401
        api = page.request.get(server.url + "/api/v1/overview")
        assert api.status == 401
        page.screenshot(path=str(artifacts / "web-login.png"))
        page.fill("input[name=token]", "wrong")
        page.click("#login-form button[type=submit]")
        assert "That token is not right." in page.content()
        page.fill("input[name=token]", TOKEN)
        page.click("#login-form button[type=submit]")
        page.wait_for_url(re.compile(r"/plan"))
        page.wait_for_selector(".main-svg")
        assert TOKEN not in page.content()
        cookies = {c["name"]: c for c in page.context.cookies(server.url)}
        assert cookies["qt_session"]["httpOnly"] is True
        assert page.request.get(server.url + "/api/v1/overview").status == 200
    finally:
        page.context.clear_cookies()
        server.stop()


def test_report_opens_offline(
    web_demo_file: Path, tmp_path: Path, page: Any, artifacts: Path
) -> None:
    from typer.testing import CliRunner

    from quickturn.cli.app import app

    db = tmp_path / "report.duckdb"
    shutil.copyfile(web_demo_file, db)
    out = tmp_path / "report.html"
    r = CliRunner().invoke(app, ["report", "--db", str(db), "--out", str(out), "--lang", "zh"])
    assert r.exit_code == 0, r.output
    requested: list[str] = []

    def block(route: Any) -> None:
        requested.append(route.request.url)
        route.abort()

    page.route(re.compile(r"^(https?|wss?)://"), block)
    page.goto(out.as_uri())
    page.wait_for_selector(".main-svg")
    assert page.locator("[data-rendered='1']").count() >= 3
    assert "经营报告" in page.content()
    assert requested == []  # nothing was fetched from a network
    page.screenshot(path=str(artifacts / "web-report-zh.png"), full_page=True)
