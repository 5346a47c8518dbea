"""Rule files: the packaged rules are complete; user files add, override, extend and disable
rules; malformed files give one clear error naming the file and line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from quickturn.config import Settings
from quickturn.core.comply.documents import check_documents
from quickturn.core.comply.ruleset import SCOPE_GROUPS, parse_ruleset
from quickturn.core.comply.text import TextEngine
from quickturn.errors import ConfigError
from quickturn.services.comply import load_rules, read_rule_file

RULES = load_rules()


def codes(text: str, ruleset=RULES, scope: str = "text") -> set[str]:  # type: ignore[no-untyped-def]
    return TextEngine(ruleset).codes_for(text, scope)


def write(tmp_path: Path, text: str, name: str = "my.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_packaged_rules_are_complete_and_bilingual() -> None:
    assert RULES.name == "tiktok-shop-us" and RULES.version and RULES.market == "US"
    assert len(RULES.text_rules) >= 20 and len(RULES.document_rules) >= 12
    for r in RULES.rules:
        assert r.severity in ("block", "warn", "info"), r.code
        assert r.scopes, r.code
        for text in (r.title, r.message, r.fix):
            assert text.en.strip() and text.zh.strip(), r.code
            assert any("\u4e00" <= ch <= "\u9fff" for ch in text.zh), r.code
        assert "reference §4" in r.source, r.code
        assert r.origin.startswith("quickturn/core/comply/rules/us.yaml:"), r.origin
    t = RULES.templated
    assert t.code == "TEMPLATED_CONTENT" and t.message.en and t.message.zh and t.source


def test_issue_rules_are_all_there() -> None:
    have = set(RULES.codes())
    for code in (
        "CLAIM_MEDICAL",
        "CLAIM_WEIGHT",
        "CLAIM_WELLNESS",
        "CLAIM_ABSOLUTE",
        "PROMO_GAMBLING",
        "PROMO_GIVEAWAY_CASH",
        "PROMO_GIVEAWAY_VALUE",
        "PROMO_GIVEAWAY_ACTION",
        "PROMO_GIVEAWAY_TERMS",
        "REVIEW_INDUCEMENT",
        "OFFPLATFORM_URL",
        "OFFPLATFORM_PHONE",
        "OFFPLATFORM_EMAIL",
        "OFFPLATFORM_MESSENGER",
        "MYSTERY_BOX",
        "PROHIBITED_SUPPLEMENT",
        "PROHIBITED_INFANT_FORMULA",
        "PROHIBITED_PET_MEDICATION",
        "PROHIBITED_BEADED_TEETHER",
        "DOC_CHILDREN_CPC",
        "DOC_CHILDREN_LAB_REPORT",
        "DOC_CHILDREN_TRACKING_LABEL",
        "DOC_CHOKING_WARNING",
        "DOC_FCC",
        "DOC_SUPPLEMENT_FACILITY",
        "DOC_BEAUTY_DEVICE",
        "DOC_PET_FOOD",
        "DOC_LITHIUM_BATTERY",
        "DOC_EXPIRED",
    ):
        assert code in have, code


def test_scope_groups_expand() -> None:
    assert SCOPE_GROUPS["listing"] == ("listing_title", "listing_description")
    assert RULES.rule("CLAIM_MEDICAL").scopes == (
        "listing_title",
        "listing_description",
        "video_caption",
        "video_script",
        "live_script",
        "promotion",
    )
    assert RULES.rule("PROMO_INCENTIVE_DISCLOSURE").applies_to("live_script")
    assert not RULES.rule("PROMO_INCENTIVE_DISCLOSURE").applies_to("listing_description")


NEW_RULE = """\
version: 1
rules:
  - code: HOUSE_NO_DROPSHIP
    severity: block
    scopes: [listing, video]
    title: {en: Dropshipping wording, zh: 代发货用语}
    match:
      keywords: [dropship, drop-shipped]
      zh: [一件代发]
    message: {en: "\\"{match}\\" in the {field}", zh: "{field}中出现“{match}”"}
    fix: {en: Remove it, zh: 删除}
    source: our own policy
"""


def test_user_rule_is_added_and_applied(tmp_path: Path) -> None:
    rs = load_rules([write(tmp_path, NEW_RULE)])
    assert "HOUSE_NO_DROPSHIP" in rs.codes()
    engine = TextEngine(rs)
    item_codes = engine.codes_for("We dropship from Shenzhen", "listing_title")
    assert item_codes == {"HOUSE_NO_DROPSHIP"}
    assert engine.codes_for("支持一件代发", "video_script") == {"HOUSE_NO_DROPSHIP"}
    # not in its scopes
    assert engine.codes_for("We dropship from Shenzhen", "live_script") == set()
    f = engine.check_item(
        __import__("quickturn.core.comply.text", fromlist=["TextItem"]).TextItem(
            "t", (("title", "listing_title", "We dropship"),)
        )
    )[0]
    assert f.message == '"dropship" in the title'
    assert f.message_zh == "标题中出现“dropship”"
    assert f.record["rule_source"] == "our own policy"
    assert rs.rule("HOUSE_NO_DROPSHIP").origin == f"{tmp_path / 'my.yaml'}:3"


def test_user_file_overrides_severity_disables_and_extends(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        """\
rules:
  - code: CLAIM_ABSOLUTE
    severity: block
  - code: MYSTERY_BOX
    enabled: false
  - code: CLAIM_MEDICAL
    extend:
      keywords: [detoxifies]
      zh: [排毒]
""",
    )
    rs = load_rules([p])
    assert rs.rule("CLAIM_ABSOLUTE").severity == "block"
    assert rs.rule("CLAIM_ABSOLUTE").message == RULES.rule("CLAIM_ABSOLUTE").message
    assert not rs.rule("MYSTERY_BOX").enabled
    assert "MYSTERY_BOX" not in codes("Mystery box with 5 items", rs)
    assert "MYSTERY_BOX" in codes("Mystery box with 5 items")
    assert "CLAIM_MEDICAL" in codes("It detoxifies your body", rs)
    assert "CLAIM_MEDICAL" not in codes("It detoxifies your body")
    assert "CLAIM_MEDICAL" in codes("快速排毒", rs)
    # the packaged matcher is kept
    assert "CLAIM_MEDICAL" in codes("cures acne", rs)


def test_user_file_replaces_a_matcher_and_a_document_rule(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        """\
rules:
  - code: PROMO_GAMBLING
    match: {keywords: [bingo night]}
  - code: DOC_CHILDREN_CPC
    documents: {check: require, require_any: [CPC], max_age_days: 730}
""",
    )
    rs = load_rules([p])
    assert codes("Bingo night in our LIVE", rs) == {"PROMO_GAMBLING"}
    assert "PROMO_GAMBLING" not in codes("Join our lucky draw", rs)
    skus = pl.DataFrame({"sku_id": ["K"], "title": ["toy"], "is_children": [True]})
    certs = pl.DataFrame(
        {
            "certificate_id": ["c"],
            "sku_id": ["K"],
            "cert_type": ["CPC"],
            "issued_on": [date(2025, 1, 1)],
        }
    )
    today = date(2026, 3, 1)
    assert {f.code for f in check_documents(RULES, skus, certs, today=today)} >= {
        "DOC_CHILDREN_CPC"
    }
    assert "DOC_CHILDREN_CPC" not in {f.code for f in check_documents(rs, skus, certs, today=today)}


def test_templated_settings_from_file_and_config(tmp_path: Path) -> None:
    rs = load_rules([write(tmp_path, "templated: {threshold: 0.8, shingle_size: 4}\n")])
    assert rs.templated.threshold == 0.8 and rs.templated.shingle_size == 4
    assert rs.templated.num_perm == RULES.templated.num_perm
    settings = Settings(options={"comply": {"templated_threshold": 0.7}})
    assert load_rules(settings=settings).templated.threshold == 0.7
    with pytest.raises(ConfigError, match="templated_threshold"):
        load_rules(settings=Settings(options={"comply": {"templated_threshold": 2}}))


def test_rule_files_listed_in_the_configuration(tmp_path: Path) -> None:
    p = write(tmp_path, NEW_RULE, "house.yaml")
    cfg = tmp_path / "quickturn.yaml"
    settings = Settings(config_path=cfg, options={"comply": {"rules": ["house.yaml"]}})
    assert "HOUSE_NO_DROPSHIP" in load_rules(settings=settings).codes()
    assert p.exists()


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("rules:\n  - code: X_ONE\n    severity: [block\n", None, "not valid YAML"),
        (
            "rules:\n  - code: CLAIM_MEDICAL\n    severity: blocker\n",
            3,
            "severity 'blocker' is not one of block, warn, info",
        ),
        ("rules:\n  - code: CLAIM_MEDICAL\n    colour: red\n", 3, "unknown key 'colour'"),
        ("rules:\n  - code: lower_case\n    severity: warn\n", 2, "UPPER_SNAKE_CASE"),
        (
            "rules:\n  - code: CLAIM_MEDICAL\n    match:\n      patterns: ['(unclosed']\n",
            4,
            "bad regular expression '(unclosed'",
        ),
        (
            "rules:\n  - code: CLAIM_MEDICAL\n    match:\n      patterns: ['{@nope} x']\n",
            4,
            "unknown vocab list {@nope}",
        ),
        (
            "rules:\n  - code: CLAIM_MEDICAL\n    match:\n      keywords: [yes, no]\n",
            4,
            "quote such words",
        ),
        (
            "rules:\n  - code: CLAIM_MEDICAL\n    severity: warn\n    severity: info\n",
            4,
            "duplicate key 'severity'",
        ),
        (
            "rules:\n  - code: CLAIM_MEDICAL\n    severity: warn\n  - code: CLAIM_MEDICAL\n    severity: info\n",
            4,
            "defined twice (first at line 2)",
        ),
        ("rules:\n  - code: CLAIM_MEDICAL\n    message: just english\n", 3, "needs both languages"),
        ("version: 2\nrules: []\n", 1, "unsupported rule file version 2"),
        ("rules: {code: X}\n", 1, "'rules' must be a list"),
        ("- just\n- a list\n", 1, "expected a mapping"),
        (
            "rules:\n  - code: CLAIM_MEDICAL\n    documents: {check: nope}\n",
            3,
            "documents.check 'nope'",
        ),
        (
            "rules:\n  - code: CLAIM_MEDICAL\n    when: {price_usd: {above: 3}}\n",
            3,
            "unknown comparison 'above'",
        ),
        ("templated: {threshold: 1.5}\n", 1, "threshold must be a number in (0, 1]"),
    ],
)
def test_malformed_files_name_file_and_line(
    tmp_path: Path, text: str, line: int | None, message: str
) -> None:
    p = write(tmp_path, text)
    with pytest.raises(ConfigError) as exc:
        load_rules([p])
    msg = str(exc.value)
    assert message in msg, msg
    assert str(p) in msg
    if line is not None:
        assert f"{p}:{line}:" in msg, msg


def test_a_new_rule_must_be_complete(tmp_path: Path) -> None:
    p = write(tmp_path, "rules:\n  - code: HOUSE_RULE\n    severity: warn\n")
    with pytest.raises(ConfigError) as exc:
        load_rules([p])
    assert f"{p}:2:" in str(exc.value)
    assert (
        "is not a packaged rule, so it needs: scopes, title, message, fix, source, match or documents"
        in str(exc.value)
    )


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "rules:\n  - code: CLAIM_MEDICAL\n    severity: nope\n  - code: PROMO_GAMBLING\n    scopes: [radio]\n",
    )
    with pytest.raises(ConfigError) as exc:
        load_rules([p])
    msg = str(exc.value)
    assert msg.startswith(f"2 problems in rule file {p}:")
    assert f"{p}:3:" in msg and f"{p}:5:" in msg and "unknown scope 'radio'" in msg


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="rule file not found"):
        read_rule_file(tmp_path / "nope.yaml")
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("rules: []  # caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        read_rule_file(bad)
    with pytest.raises(ConfigError, match="is a folder"):
        read_rule_file(tmp_path)


def test_empty_user_file_changes_nothing(tmp_path: Path) -> None:
    rs = load_rules([write(tmp_path, "")])
    assert rs.codes() == RULES.codes()


def test_parse_is_pure_text_in_ruleset_out() -> None:
    rs = parse_ruleset(NEW_RULE, "inline")
    assert rs.codes() == ["HOUSE_NO_DROPSHIP"] and rs.sources == ("inline",)
