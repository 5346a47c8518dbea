"""Compliance rules as data: parse and validate rule files (YAML text in, :class:`RuleSet` out).

Data flow: the service layer reads the packaged ``rules/us.yaml`` (``importlib.resources``) and
any user rule files, and passes their *text* here; :func:`parse_ruleset` turns each text into a
:class:`RuleSet` and :func:`merge_rulesets` lays user files over the packaged one (same code:
override the given keys; ``enabled: false`` switches a rule off; ``extend:`` appends to its
keyword lists).  Every problem in a file is reported at once in one
:class:`~quickturn.errors.ConfigError` naming the file and line.  No IO happens here.

A rule is either a *text* rule (``match:``; evaluated by :mod:`quickturn.core.comply.text`
over listing, video, LIVE and promotion texts) or a *document* rule (``documents:``; evaluated
by :mod:`quickturn.core.comply.documents` over the ``skus`` and ``certificates`` tables).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Literal

import yaml

from quickturn.errors import ConfigError, normalise_severity

RuleSeverity = Literal["block", "warn", "info"]
SEVERITIES: tuple[str, ...] = ("block", "warn", "info")
SEVERITY_RANK: dict[str, int] = {"block": 0, "warn": 1, "info": 2}

#: the format version of rule files this code reads
FORMAT_VERSION = 1

#: text scopes: where a piece of text sits
TEXT_SCOPES: tuple[str, ...] = (
    "listing_title",
    "listing_description",
    "video_caption",
    "video_script",
    "live_script",
    "promotion",
)
DOCUMENT_SCOPE = "sku_documents"
#: scope names a rule may use, expanded to the scopes above
SCOPE_GROUPS: dict[str, tuple[str, ...]] = {
    "listing": ("listing_title", "listing_description"),
    "video": ("video_caption", "video_script"),
    "live": ("live_script",),
    "content": ("video_caption", "video_script", "live_script"),
    "promotion": ("promotion",),
    "text": TEXT_SCOPES,
    "documents": (DOCUMENT_SCOPE,),
    **{s: (s,) for s in (*TEXT_SCOPES, DOCUMENT_SCOPE)},
}

#: document types known to the ``certificates`` table (kept in step with schema.CERT_TYPES)
DOCUMENT_CHECKS: tuple[str, ...] = ("require", "expired", "expiring", "listing_mentions")
CONDITION_OPS: tuple[str, ...] = ("eq", "ne", "gt", "ge", "lt", "le", "in")

_CODE = re.compile(r"^[A-Z][A-Z0-9_]{2,63}$")
_VOCAB_REF = re.compile(r"\{@([a-z_][a-z0-9_]*)\}")


@dataclass(frozen=True)
class Bilingual:
    """A user-facing text in English and Simplified Chinese (``{placeholders}`` allowed)."""

    en: str
    zh: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" and self.zh else self.en


@dataclass(frozen=True)
class TermSet:
    """Words and patterns to look for.

    ``keywords``: English words or phrases, matched case-insensitively on word boundaries
    (a space matches any run of spaces or hyphens, a hyphen an optional space or hyphen).
    ``patterns``: regular expressions (case-insensitive), may use ``{@vocab}`` lists.
    ``zh``: Chinese words, matched as substrings (Chinese has no word boundaries).
    ``zh_patterns``: regular expressions for Chinese text.
    """

    keywords: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    zh: tuple[str, ...] = ()
    zh_patterns: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.keywords or self.patterns or self.zh or self.zh_patterns)

    def extended(self, other: TermSet) -> TermSet:
        return TermSet(
            self.keywords + other.keywords,
            self.patterns + other.patterns,
            self.zh + other.zh,
            self.zh_patterns + other.zh_patterns,
        )


@dataclass(frozen=True)
class Condition:
    """``attribute <op> value`` on a SKU / item attribute (missing attribute: condition false)."""

    attribute: str
    op: str
    value: Any


@dataclass(frozen=True)
class DocumentSpec:
    """What a document rule checks for the SKUs that meet its ``when`` conditions.

    ``check``: ``require`` (a valid document of one of ``require_any``), ``expired`` (each
    document past ``expires_on``), ``expiring`` (expires within ``within_days``) or
    ``listing_mentions`` (title or description must contain one of ``mentions``).
    """

    check: str = "require"
    require_any: tuple[str, ...] = ()
    max_age_days: int | None = None
    language: str | None = None
    within_days: int = 30
    mentions: TermSet = field(default_factory=TermSet)


@dataclass(frozen=True)
class Rule:
    """One rule: a stable code, severity, scopes, a matcher or document spec, message, fix, source."""

    code: str
    severity: RuleSeverity
    scopes: tuple[str, ...]
    title: Bilingual
    message: Bilingual
    fix: Bilingual
    source: str
    kind: Literal["text", "documents"] = "text"
    match: TermSet = field(default_factory=TermSet)
    #: regexes; a match lying inside a span of one of these is ignored ("cured ham")
    exceptions: tuple[str, ...] = ()
    #: at least one of these must occur in the same item for the rule to fire
    context: TermSet = field(default_factory=TermSet)
    #: the rule does not fire when one of these occurs in the same item
    unless: TermSet = field(default_factory=TermSet)
    #: a negation just before the match ("not a cure", "不能治疗") cancels it
    negatable: bool = False
    #: patterns capture ``(?P<amount>…)``; the match counts only when amount ≥ min_amount
    min_amount: float | None = None
    #: conditions on the item / SKU attributes (all must hold)
    when: tuple[Condition, ...] = ()
    documents: DocumentSpec | None = None
    enabled: bool = True
    #: ``file:line`` the rule was defined (or last overridden) at
    origin: str = ""
    #: words appended to the matcher of the packaged rule with the same code (user files)
    extend: TermSet = field(default_factory=TermSet, compare=False, repr=False)
    #: the keys the rule file set (user overrides change only these)
    set_keys: frozenset[str] = field(default_factory=frozenset, compare=False, repr=False)

    def applies_to(self, scope: str) -> bool:
        return scope in self.scopes


@dataclass(frozen=True)
class NegationConfig:
    """How negation is recognised (see docs/comply.md)."""

    en_cues: tuple[str, ...] = ()
    en_not_cues: tuple[str, ...] = ()
    en_bridge: tuple[str, ...] = ()
    en_window: int = 7
    #: "or" / "nor": a negation before a list covers every item ("no raffles or lucky draws")
    en_coordinators: tuple[str, ...] = ()
    #: how many list words a coordinator lets the walk back skip
    en_list_window: int = 0
    zh_cues: tuple[str, ...] = ()
    zh_not_cues: tuple[str, ...] = ()
    zh_breakers: tuple[str, ...] = ()
    zh_window: int = 6


@dataclass(frozen=True)
class TemplatedConfig:
    """Templated cross-market content detection (MinHash/LSH) parameters."""

    code: str = "TEMPLATED_CONTENT"
    severity: RuleSeverity = "warn"
    threshold: float = 0.5
    shingle_size: int = 2
    num_perm: int = 128
    bands: int = 32
    min_tokens: int = 8
    home_market: str = "US"
    message: Bilingual = Bilingual("", "")
    fix: Bilingual = Bilingual("", "")
    title: Bilingual = Bilingual("Templated cross-market content", "跨市场模板化内容")
    source: str = ""
    enabled: bool = True


@dataclass(frozen=True)
class RuleSet:
    """The rules of one market (packaged file, possibly with user files laid over it)."""

    name: str
    version: str
    market: str
    rules: tuple[Rule, ...]
    vocab: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    negation: NegationConfig = field(default_factory=NegationConfig)
    reasons: Mapping[str, Bilingual] = field(default_factory=dict)
    templated: TemplatedConfig = field(default_factory=TemplatedConfig)
    sources: tuple[str, ...] = ()

    def rule(self, code: str) -> Rule:
        for r in self.rules:
            if r.code == code:
                return r
        raise KeyError(f"no rule {code!r}")

    @property
    def active(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.enabled)

    @property
    def text_rules(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.active if r.kind == "text")

    @property
    def document_rules(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.active if r.kind == "documents")

    def codes(self) -> list[str]:
        return [r.code for r in self.rules]


# -- YAML with line numbers ------------------------------------------------------------------

_LINES = "__lines__"
_LINE = "__line__"


_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available


class _LineLoader(_BaseLoader):  # type: ignore[misc]
    """SafeLoader that records the line of each mapping and key, and rejects duplicate keys."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    out: dict[Any, Any] = {}
    lines: dict[Any, int] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in out:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        out[key] = loader.construct_object(value_node, deep=True)
        lines[key] = key_node.start_mark.line + 1
    out[_LINE] = node.start_mark.line + 1
    out[_LINES] = lines
    return out


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in (_LINE, _LINES)}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


class _Problems:
    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[str] = []

    def add(self, line: int | None, message: str) -> None:
        where = f"{self.source}:{line}" if line else self.source
        self.items.append(f"{where}: {message}")

    def raise_if_any(self) -> None:
        if self.items:
            n = len(self.items)
            head = f"{n} problem{'s' if n > 1 else ''} in rule file {self.source}:"
            raise ConfigError(head + "\n  " + "\n  ".join(self.items))


def _line(mapping: Mapping[str, Any], key: str | None = None) -> int | None:
    if key is not None:
        lines = mapping.get(_LINES) or {}
        if key in lines:
            return int(lines[key])
    line = mapping.get(_LINE)
    return int(line) if line is not None else None


def _keys(mapping: Mapping[str, Any]) -> list[str]:
    return [k for k in mapping if k not in (_LINE, _LINES)]


# -- parsing ---------------------------------------------------------------------------------

_RULE_KEYS = {
    "code",
    "severity",
    "scopes",
    "title",
    "message",
    "fix",
    "source",
    "match",
    "except",
    "context",
    "unless",
    "negatable",
    "min_amount",
    "when",
    "documents",
    "enabled",
    "extend",
}
_TOP_KEYS = {
    "version",
    "ruleset",
    "ruleset_version",
    "market",
    "vocab",
    "negation",
    "reasons",
    "templated",
    "rules",
}
_TERM_KEYS = {"keywords", "patterns", "zh", "zh_patterns"}


def parse_ruleset(text: str, source: str, *, partial: bool = False) -> RuleSet:
    """Parse one rule file.

    ``partial=True`` (user files) allows rules that only override some keys of a packaged
    rule; :func:`merge_rulesets` completes and re-validates them.
    """
    problems = _Problems(source)
    try:
        data = yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        problems.add(line, f"not valid YAML ({problem})")
        problems.raise_if_any()
        raise AssertionError("unreachable") from None
    if data is None:
        data = {_LINE: 1, _LINES: {}}
    if not isinstance(data, dict):
        problems.add(1, f"expected a mapping with a 'rules:' list, got {type(data).__name__}")
        problems.raise_if_any()
    for key in _keys(data):
        if key not in _TOP_KEYS:
            problems.add(
                _line(data, key),
                f"unknown top-level key {key!r} (expected one of: {', '.join(sorted(_TOP_KEYS))})",
            )
    version = data.get("version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        problems.add(
            _line(data, "version"),
            f"unsupported rule file version {version!r}; this quickturn reads version {FORMAT_VERSION}",
        )
    vocab = _parse_vocab(data.get("vocab"), data, problems)
    negation = _parse_negation(data.get("negation"), data, problems)
    reasons = _parse_reasons(data.get("reasons"), data, problems)
    templated = _parse_templated(data.get("templated"), data, problems, partial=partial)
    raw_rules = data.get("rules", [])
    rules: list[Rule] = []
    if not isinstance(raw_rules, list):
        problems.add(
            _line(data, "rules"), "'rules' must be a list of rules (each starting with '- code: …')"
        )
        raw_rules = []
    seen: dict[str, int | None] = {}
    for i, raw in enumerate(raw_rules, start=1):
        if not isinstance(raw, dict):
            problems.add(_line(data, "rules"), f"rule #{i} must be a mapping, got {raw!r}")
            continue
        code = raw.get("code")
        if code in seen:
            problems.add(
                _line(raw, "code"), f"rule {code!r} defined twice (first at line {seen[code]})"
            )
        if isinstance(code, str):
            seen[code] = _line(raw, "code")
        rule = _parse_rule(raw, i, source, problems, partial=partial, vocab=vocab)
        if rule is not None:
            rules.append(rule)
    problems.raise_if_any()
    return RuleSet(
        name=str(data.get("ruleset", source)),
        version=str(data.get("ruleset_version", "")),
        market=str(data.get("market", "US")),
        rules=tuple(rules),
        vocab=vocab,
        negation=negation,
        reasons=reasons,
        templated=templated,
        sources=(source,),
    )


def _str_list(
    value: Any, where: Mapping[str, Any], key: str, what: str, problems: _Problems
) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list) and any(isinstance(v, bool) for v in value):
        problems.add(
            _line(where, key),
            f"{what} contains true/false: YAML reads unquoted yes/no/on/off as booleans, "
            'so quote such words ("no")',
        )
        return ()
    if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
        problems.add(_line(where, key), f"{what} must be a list of strings, got {_strip(value)!r}")
        return ()
    out = tuple(str(v) for v in value)
    for v in out:
        if not v.strip():
            problems.add(_line(where, key), f"{what} contains an empty string")
    return out


def _parse_vocab(
    raw: Any, top: Mapping[str, Any], problems: _Problems
) -> dict[str, tuple[str, ...]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.add(_line(top, "vocab"), "'vocab' must map names to lists of words")
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for name in _keys(raw):
        if not isinstance(name, str) or not re.match(r"^[a-z_][a-z0-9_]*$", name):
            problems.add(_line(raw, name), f"vocab name {name!r} must be lower_snake_case")
            continue
        out[name] = _str_list(raw[name], raw, name, f"vocab {name!r}", problems)
    return out


def _parse_negation(raw: Any, top: Mapping[str, Any], problems: _Problems) -> NegationConfig:
    if raw is None:
        return NegationConfig()
    if not isinstance(raw, dict):
        problems.add(_line(top, "negation"), "'negation' must be a mapping")
        return NegationConfig()
    known = {f for f in NegationConfig.__dataclass_fields__}
    kwargs: dict[str, Any] = {}
    for key in _keys(raw):
        if key not in known:
            problems.add(
                _line(raw, key),
                f"unknown negation key {key!r} (expected: {', '.join(sorted(known))})",
            )
            continue
        if key.endswith("window"):
            if not isinstance(raw[key], int) or raw[key] < 0:
                problems.add(_line(raw, key), f"negation {key} must be a whole number ≥ 0")
                continue
            kwargs[key] = raw[key]
        else:
            kwargs[key] = tuple(
                v.lower() for v in _str_list(raw[key], raw, key, f"negation {key}", problems)
            )
    return NegationConfig(**kwargs)


def _parse_bilingual(
    raw: Any, where: Mapping[str, Any], key: str, what: str, problems: _Problems, *, required: bool
) -> Bilingual | None:
    if raw is None:
        if required:
            problems.add(
                _line(where), f"{what}: missing '{key}' (a mapping with 'en' and 'zh' texts)"
            )
        return None
    if isinstance(raw, str):
        problems.add(
            _line(where, key), f"{what}: '{key}' needs both languages, e.g. {{en: '…', zh: '…'}}"
        )
        return None
    if not isinstance(raw, dict):
        problems.add(_line(where, key), f"{what}: '{key}' must be a mapping with 'en' and 'zh'")
        return None
    extra = [k for k in _keys(raw) if k not in ("en", "zh")]
    if extra:
        problems.add(_line(raw), f"{what}: '{key}' has unknown languages {extra} (expected en, zh)")
    en, zh = raw.get("en"), raw.get("zh")
    if not isinstance(en, str) or not en.strip():
        problems.add(_line(raw), f"{what}: '{key}.en' (English text) is missing or empty")
        return None
    if not isinstance(zh, str) or not zh.strip():
        problems.add(_line(raw), f"{what}: '{key}.zh' (Chinese text) is missing or empty")
        return None
    return Bilingual(en.strip(), zh.strip())


def _parse_reasons(raw: Any, top: Mapping[str, Any], problems: _Problems) -> dict[str, Bilingual]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.add(_line(top, "reasons"), "'reasons' must map reason names to {en, zh} texts")
        return {}
    out: dict[str, Bilingual] = {}
    for key in _keys(raw):
        b = _parse_bilingual(raw[key], raw, key, f"reason {key!r}", problems, required=True)
        if b is not None:
            out[key] = b
    return out


def _parse_templated(
    raw: Any, top: Mapping[str, Any], problems: _Problems, *, partial: bool
) -> TemplatedConfig:
    if raw is None:
        return TemplatedConfig()
    if not isinstance(raw, dict):
        problems.add(_line(top, "templated"), "'templated' must be a mapping")
        return TemplatedConfig()
    cfg = TemplatedConfig()
    kwargs: dict[str, Any] = {}
    for key in _keys(raw):
        value = raw[key]
        if key in ("message", "fix", "title"):
            b = _parse_bilingual(value, raw, key, "templated", problems, required=False)
            if b is not None:
                kwargs[key] = b
        elif key in ("threshold",):
            if not isinstance(value, (int, float)) or not 0 < value <= 1:
                problems.add(
                    _line(raw, key),
                    f"templated threshold must be a number in (0, 1], got {value!r}",
                )
            else:
                kwargs[key] = float(value)
        elif key in ("shingle_size", "num_perm", "bands", "min_tokens"):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                problems.add(
                    _line(raw, key), f"templated {key} must be a whole number ≥ 1, got {value!r}"
                )
            else:
                kwargs[key] = value
        elif key == "severity":
            value = normalise_severity(value) if isinstance(value, str) else value
            if value not in SEVERITIES:
                problems.add(
                    _line(raw, key), f"templated severity {value!r} is not one of block, warn, info"
                )
            else:
                kwargs[key] = value
        elif key in ("code", "home_market", "source"):
            if not isinstance(value, str):
                problems.add(_line(raw, key), f"templated {key} must be text")
            else:
                kwargs[key] = value
        elif key == "enabled":
            if not isinstance(value, bool):
                problems.add(_line(raw, key), "templated enabled must be true or false")
            else:
                kwargs[key] = value
        else:
            problems.add(_line(raw, key), f"unknown templated key {key!r}")
    out = replace(cfg, **kwargs)
    if out.num_perm % out.bands:
        problems.add(
            _line(raw),
            f"templated num_perm ({out.num_perm}) must be a multiple of bands ({out.bands})",
        )
    return out


def _parse_terms(
    raw: Any,
    where: Mapping[str, Any],
    key: str,
    what: str,
    problems: _Problems,
    vocab: Mapping[str, tuple[str, ...]],
) -> TermSet:
    if raw is None:
        return TermSet()
    if isinstance(raw, list):  # shorthand: a plain list of keywords
        raw = {"keywords": raw, _LINE: _line(where, key), _LINES: {"keywords": _line(where, key)}}
    if not isinstance(raw, dict):
        problems.add(
            _line(where, key),
            f"{what}: '{key}' must be a mapping with keywords / patterns / zh / zh_patterns",
        )
        return TermSet()
    for k in _keys(raw):
        if k not in _TERM_KEYS:
            problems.add(
                _line(raw, k),
                f"{what}: unknown key {k!r} in '{key}' (expected: {', '.join(sorted(_TERM_KEYS))})",
            )
    terms = TermSet(
        keywords=_str_list(
            raw.get("keywords"), raw, "keywords", f"{what}: {key}.keywords", problems
        ),
        patterns=_str_list(
            raw.get("patterns"), raw, "patterns", f"{what}: {key}.patterns", problems
        ),
        zh=_str_list(raw.get("zh"), raw, "zh", f"{what}: {key}.zh", problems),
        zh_patterns=_str_list(
            raw.get("zh_patterns"), raw, "zh_patterns", f"{what}: {key}.zh_patterns", problems
        ),
    )
    for k in ("patterns", "zh_patterns"):
        for p in getattr(terms, k):
            err = check_pattern(p, vocab, bounded=k == "patterns")
            if err:
                problems.add(
                    _line(raw, k), f"{what}: bad regular expression {p!r} in {key}.{k}: {err}"
                )
    return terms


#: ASCII word boundaries around English patterns (Chinese has none)
EN_BEFORE = r"(?<![A-Za-z0-9])"
EN_AFTER = r"(?![A-Za-z0-9])"


def pattern_source(pattern: str, vocab: Mapping[str, tuple[str, ...]], *, bounded: bool) -> str:
    """The regex the text engine compiles (``re.IGNORECASE``) for a rule pattern: vocab
    lists expanded, and for English patterns (``bounded``) ASCII word boundaries."""
    body = "(?:" + expand_vocab(pattern, vocab) + ")"
    return EN_BEFORE + body + EN_AFTER if bounded else body


def check_pattern(
    pattern: str, vocab: Mapping[str, tuple[str, ...]], *, bounded: bool = False
) -> str | None:
    """Why ``pattern`` is not a usable regex (``None`` when it is).  It is compiled as the
    engine will compile it, so the engine's ``re.compile`` is then served from ``re``'s cache."""
    for name in _VOCAB_REF.findall(pattern):
        if name not in vocab:
            return f"unknown vocab list {{@{name}}} (known: {', '.join(sorted(vocab)) or 'none'})"
    try:
        re.compile(pattern_source(pattern, vocab, bounded=bounded), re.IGNORECASE)
    except re.error as exc:
        return str(exc)
    return None


def keyword_regex(keyword: str) -> str:
    """Regex body for an English keyword: spaces match runs of space/hyphen, hyphens optional."""
    parts = re.split(r"(\s+|-)", keyword.strip())
    out = []
    for p in parts:
        if not p:
            continue
        if p.isspace():
            out.append(r"[\s\-]+")
        elif p == "-":
            out.append(r"[\s\-]?")
        else:
            out.append(re.escape(p))
    return "".join(out)


def keyword_atoms(keyword: str) -> tuple[str, ...]:
    """The regex atoms of :func:`keyword_regex` one by one (letters lower-cased: rules match
    case-insensitively): ``"flare-up s"`` → ``f, l, …, [\\s\\-]?, u, p, [\\s\\-]+, s``."""
    atoms: list[str] = []
    for p in re.split(r"(\s+|-)", keyword.strip()):
        if not p:
            continue
        if p.isspace():
            atoms.append(r"[\s\-]+")
        elif p == "-":
            atoms.append(r"[\s\-]?")
        else:
            atoms.extend(re.escape(ch.lower()) for ch in p)
    return tuple(atoms)


def alternation(words: Sequence[str]) -> str:
    """One regex group matching any of ``words`` (as :func:`keyword_regex`), built as a trie.

    ``(?:cur(?:e[ds]?|ing)|…)`` instead of ``(?:cures|cured|cure|curing|…)``: the same
    matches (the longest word wins at a position, shorter ones on backtracking), but the
    engine tests each next character once instead of every word in turn, which keeps long
    lists (hundreds of conditions) fast.
    """
    trie: dict[str, Any] = {}
    for w in words:
        node = trie
        for atom in keyword_atoms(w):
            node = node.setdefault(atom, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        branches = [atom + build(child) for atom, child in sorted(node.items()) if atom]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:
            body = "(?:" + body + ")?"
        return body

    return "(?:" + build(trie) + ")"


def expand_vocab(pattern: str, vocab: Mapping[str, tuple[str, ...]]) -> str:
    """Replace ``{@name}`` by an alternation of the vocab list's keywords (a trie, longest
    match first)."""

    def sub(m: re.Match[str]) -> str:
        return _cached_alternation(tuple(vocab.get(m.group(1), ())))

    return _VOCAB_REF.sub(sub, pattern)


@lru_cache(maxsize=256)
def _cached_alternation(words: tuple[str, ...]) -> str:
    return alternation(words)


def _parse_conditions(
    raw: Any, where: Mapping[str, Any], what: str, problems: _Problems
) -> tuple[Condition, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        problems.add(
            _line(where, "when"),
            f"{what}: 'when' must map attributes to values, e.g. {{is_children: true}}",
        )
        return ()
    out: list[Condition] = []
    for attr in _keys(raw):
        value = raw[attr]
        if isinstance(value, dict):
            for op in _keys(value):
                if op not in CONDITION_OPS:
                    problems.add(
                        _line(value, op),
                        f"{what}: unknown comparison {op!r} for {attr!r} (expected: {', '.join(CONDITION_OPS)})",
                    )
                    continue
                out.append(Condition(str(attr), op, _strip(value[op])))
        elif isinstance(value, list):
            out.append(Condition(str(attr), "in", tuple(_strip(value))))
        else:
            out.append(Condition(str(attr), "eq", value))
    return tuple(out)


def _parse_documents(
    raw: Any,
    where: Mapping[str, Any],
    what: str,
    problems: _Problems,
    vocab: Mapping[str, tuple[str, ...]],
) -> DocumentSpec | None:
    if not isinstance(raw, dict):
        problems.add(
            _line(where, "documents"),
            f"{what}: 'documents' must be a mapping (check, require_any, max_age_days, …)",
        )
        return None
    known = {"check", "require_any", "max_age_days", "language", "within_days", "mentions"}
    for k in _keys(raw):
        if k not in known:
            problems.add(
                _line(raw, k),
                f"{what}: unknown documents key {k!r} (expected: {', '.join(sorted(known))})",
            )
    check = raw.get("check", "require")
    if check not in DOCUMENT_CHECKS:
        problems.add(
            _line(raw, "check"),
            f"{what}: documents.check {check!r} is not one of {', '.join(DOCUMENT_CHECKS)}",
        )
        return None
    require_any = tuple(
        v.upper()
        for v in _str_list(
            raw.get("require_any"), raw, "require_any", f"{what}: documents.require_any", problems
        )
    )
    if check == "require" and not require_any:
        problems.add(
            _line(raw), f"{what}: documents.check 'require' needs require_any: [document types]"
        )
    max_age = raw.get("max_age_days")
    if max_age is not None and (
        not isinstance(max_age, int) or isinstance(max_age, bool) or max_age < 0
    ):
        problems.add(
            _line(raw, "max_age_days"),
            f"{what}: max_age_days must be a whole number of days ≥ 0, got {max_age!r}",
        )
        max_age = None
    within = raw.get("within_days", 30)
    if not isinstance(within, int) or isinstance(within, bool) or within < 0:
        problems.add(
            _line(raw, "within_days"),
            f"{what}: within_days must be a whole number ≥ 0, got {within!r}",
        )
        within = 30
    language = raw.get("language")
    if language is not None and not isinstance(language, str):
        problems.add(
            _line(raw, "language"), f"{what}: language must be an ISO 639-1 code such as 'en'"
        )
        language = None
    mentions = _parse_terms(raw.get("mentions"), raw, "mentions", what, problems, vocab)
    if check == "listing_mentions" and not mentions:
        problems.add(
            _line(raw),
            f"{what}: documents.check 'listing_mentions' needs mentions: {{keywords: […]}}",
        )
    return DocumentSpec(check, require_any, max_age, language, within, mentions)


def _parse_rule(
    raw: dict[str, Any],
    index: int,
    source: str,
    problems: _Problems,
    *,
    partial: bool,
    vocab: Mapping[str, tuple[str, ...]],
) -> Rule | None:
    code = raw.get("code")
    what = f"rule {code!r}" if code else f"rule #{index}"
    n_before = len(problems.items)
    for key in _keys(raw):
        if key not in _RULE_KEYS:
            problems.add(
                _line(raw, key),
                f"{what}: unknown key {key!r} (expected: {', '.join(sorted(_RULE_KEYS))})",
            )
    if not isinstance(code, str) or not _CODE.match(code):
        problems.add(
            _line(raw, "code"),
            f"{what}: 'code' must be UPPER_SNAKE_CASE, 3–64 characters, got {code!r}",
        )
        return None
    override = partial  # user files: completeness of new rules is checked when merging
    severity: Any = raw.get("severity")
    if isinstance(severity, str):  # "warning" (the old spelling of "warn") still reads
        severity = normalise_severity(severity)
    if severity is None and not override:
        problems.add(_line(raw), f"{what}: missing 'severity' (block, warn or info)")
    elif severity is not None and severity not in SEVERITIES:
        problems.add(
            _line(raw, "severity"), f"{what}: severity {severity!r} is not one of block, warn, info"
        )
    scopes: list[str] = []
    raw_scopes = raw.get("scopes")
    for s in _str_list(raw_scopes, raw, "scopes", f"{what}: scopes", problems):
        if s not in SCOPE_GROUPS:
            problems.add(
                _line(raw, "scopes"),
                f"{what}: unknown scope {s!r} (expected: {', '.join(SCOPE_GROUPS)})",
            )
        else:
            scopes.extend(x for x in SCOPE_GROUPS[s] if x not in scopes)
    if raw_scopes is None and not override:
        problems.add(
            _line(raw), f"{what}: missing 'scopes' (e.g. [listing, video, live, promotion])"
        )
    title = _parse_bilingual(raw.get("title"), raw, "title", what, problems, required=not override)
    message = _parse_bilingual(
        raw.get("message"), raw, "message", what, problems, required=not override
    )
    fix = _parse_bilingual(raw.get("fix"), raw, "fix", what, problems, required=not override)
    src = raw.get("source")
    if src is None and not override:
        problems.add(_line(raw), f"{what}: missing 'source' (where the rule comes from)")
    elif src is not None and not isinstance(src, str):
        problems.add(_line(raw, "source"), f"{what}: 'source' must be text")
    match = _parse_terms(raw.get("match"), raw, "match", what, problems, vocab)
    extend = _parse_terms(raw.get("extend"), raw, "extend", what, problems, vocab)
    context = _parse_terms(raw.get("context"), raw, "context", what, problems, vocab)
    unless = _parse_terms(raw.get("unless"), raw, "unless", what, problems, vocab)
    exceptions = _str_list(raw.get("except"), raw, "except", f"{what}: except", problems)
    for p in exceptions:
        err = check_pattern(p, vocab)
        if err:
            problems.add(
                _line(raw, "except"), f"{what}: bad regular expression {p!r} in except: {err}"
            )
    documents = None
    if "documents" in raw:
        documents = _parse_documents(raw["documents"], raw, what, problems, vocab)
        if "match" in raw:
            problems.add(
                _line(raw, "documents"),
                f"{what}: a rule has either 'match' (text) or 'documents', not both",
            )
    elif not override and not match:
        problems.add(_line(raw), f"{what}: needs 'match' (keywords / patterns / zh) or 'documents'")
    kind: Literal["text", "documents"] = (
        "documents" if documents is not None or "documents" in raw else "text"
    )
    if kind == "text" and scopes and any(s == DOCUMENT_SCOPE for s in scopes):
        problems.add(_line(raw, "scopes"), f"{what}: text rules cannot have the scope 'documents'")
    if kind == "documents" and scopes and scopes != [DOCUMENT_SCOPE]:
        problems.add(_line(raw, "scopes"), f"{what}: document rules have scopes [documents]")
    negatable = raw.get("negatable", False)
    if not isinstance(negatable, bool):
        problems.add(_line(raw, "negatable"), f"{what}: negatable must be true or false")
        negatable = False
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        problems.add(_line(raw, "enabled"), f"{what}: enabled must be true or false")
        enabled = True
    min_amount = raw.get("min_amount")
    if min_amount is not None and (
        not isinstance(min_amount, (int, float)) or isinstance(min_amount, bool)
    ):
        problems.add(_line(raw, "min_amount"), f"{what}: min_amount must be a number (USD)")
        min_amount = None
    if (
        min_amount is not None
        and not any("(?P<amount>" in p for p in match.patterns + match.zh_patterns)
        and not override
    ):
        problems.add(
            _line(raw, "min_amount"),
            f"{what}: min_amount needs a pattern capturing (?P<amount>…)",
        )
    when = _parse_conditions(raw.get("when"), raw, what, problems)
    if len(problems.items) > n_before:
        return None
    placeholder = Bilingual("", "")
    rule = Rule(
        code=code,
        severity=severity or "warn",
        scopes=tuple(scopes),
        title=title or placeholder,
        message=message or placeholder,
        fix=fix or placeholder,
        source=src or "",
        kind=kind,
        match=match,
        exceptions=exceptions,
        context=context,
        unless=unless,
        negatable=negatable,
        min_amount=float(min_amount) if min_amount is not None else None,
        when=when,
        documents=documents,
        enabled=enabled,
        origin=f"{source}:{_line(raw)}",
        extend=extend,
        set_keys=frozenset(_keys(raw)),
    )
    if extend and not partial:
        rule = replace(rule, match=rule.match.extended(extend), extend=TermSet())
    return rule


_KEY_TO_FIELD = {
    "severity": "severity",
    "scopes": "scopes",
    "title": "title",
    "message": "message",
    "fix": "fix",
    "source": "source",
    "match": "match",
    "except": "exceptions",
    "context": "context",
    "unless": "unless",
    "negatable": "negatable",
    "min_amount": "min_amount",
    "when": "when",
    "documents": "documents",
    "enabled": "enabled",
}


def merge_rulesets(base: RuleSet, *overlays: RuleSet) -> RuleSet:
    """Lay user rule sets over ``base``: same code overrides the keys given; new codes are added."""
    rules: dict[str, Rule] = {r.code: r for r in base.rules}
    vocab = dict(base.vocab)
    reasons = dict(base.reasons)
    templated = base.templated
    negation = base.negation
    sources = list(base.sources)
    for layer in overlays:
        problems = _Problems(layer.sources[0] if layer.sources else "rules")
        vocab.update(layer.vocab)
        reasons.update(layer.reasons)
        if layer.negation != NegationConfig():
            negation = layer.negation
        if layer.templated != TemplatedConfig():
            changed = {
                k: getattr(layer.templated, k)
                for k in TemplatedConfig.__dataclass_fields__
                if getattr(layer.templated, k) != getattr(TemplatedConfig(), k)
            }
            templated = replace(templated, **changed)
        for r in layer.rules:
            set_keys = r.set_keys
            if r.code in rules:
                old = rules[r.code]
                changes = {
                    _KEY_TO_FIELD[k]: getattr(r, _KEY_TO_FIELD[k])
                    for k in set_keys
                    if k in _KEY_TO_FIELD
                }
                if "documents" in changes or "match" in changes:
                    changes["kind"] = r.kind
                new = replace(old, **changes, origin=r.origin)
                if r.extend:
                    new = replace(new, match=new.match.extended(r.extend))
                rules[r.code] = new
            else:
                missing = [
                    k
                    for k in ("severity", "scopes", "title", "message", "fix", "source")
                    if k not in set_keys
                ]
                if "match" not in set_keys and "documents" not in set_keys:
                    missing.append("match or documents")
                if missing:
                    line = r.origin.rsplit(":", 1)[-1]
                    problems.add(
                        int(line) if line.isdigit() else None,
                        f"rule {r.code!r} is not a packaged rule, so it needs: {', '.join(missing)}",
                    )
                    continue
                rules[r.code] = replace(r, match=r.match.extended(r.extend), extend=TermSet())
        for r in rules.values():
            for p in (*r.match.patterns, *r.match.zh_patterns, *r.exceptions):
                err = check_pattern(p, vocab)
                if err:
                    problems.add(None, f"rule {r.code!r}: {err}")
        problems.raise_if_any()
        sources.extend(layer.sources)
    return replace(
        base,
        rules=tuple(rules.values()),
        vocab=vocab,
        reasons=reasons,
        templated=templated,
        negation=negation,
        sources=tuple(sources),
    )


def rules_table(ruleset: RuleSet) -> list[dict[str, Any]]:
    """One row per rule (code, kind, severity, scopes, title, source, origin) for listings and docs."""
    rows: list[dict[str, Any]] = []
    for r in sorted(ruleset.rules, key=lambda r: (r.kind, SEVERITY_RANK[r.severity], r.code)):
        rows.append(
            {
                "code": r.code,
                "kind": r.kind,
                "severity": r.severity,
                "enabled": r.enabled,
                "scopes": list(r.scopes),
                "title": r.title.en,
                "title_zh": r.title.zh,
                "source": r.source,
                "origin": r.origin,
            }
        )
    t = ruleset.templated
    rows.append(
        {
            "code": t.code,
            "kind": "templated",
            "severity": t.severity,
            "enabled": t.enabled,
            "scopes": list(SCOPE_GROUPS["content"]),
            "title": t.title.en,
            "title_zh": t.title.zh,
            "source": t.source,
            "origin": "",
        }
    )
    return rows


def scopes_for(names: Sequence[str]) -> tuple[str, ...]:
    """Expand scope group names (``listing``, ``video``, …) to text scopes."""
    out: list[str] = []
    for n in names:
        if n not in SCOPE_GROUPS:
            raise ConfigError(f"unknown scope {n!r}; expected one of: {', '.join(SCOPE_GROUPS)}")
        out.extend(s for s in SCOPE_GROUPS[n] if s not in out)
    return tuple(out)


def rules_markdown(ruleset: RuleSet, lang: str = "en") -> str:
    """The rule reference tables of ``docs/comply.md`` (``lang="zh"``: ``docs/zh/comply.md``)."""
    zh = lang == "zh"
    head = (
        "| 代码 | 级别 | 范围 | 名称 | 依据 |"
        if zh
        else "| code | severity | scopes | title | source |"
    )
    out: list[str] = []
    groups = (
        (
            "text",
            "文本规则（商品页、视频、直播、促销）"
            if zh
            else "Text rules (listings, videos, LIVE, promotions)",
        ),
        (
            "documents",
            "资质文件规则（skus × certificates）" if zh else "Document rules (skus × certificates)",
        ),
    )
    for kind, title in groups:
        out += [f"#### {title}", "", head, "|---|---|---|---|---|"]
        for r in ruleset.rules:
            if r.kind != kind:
                continue
            scopes = ", ".join(_scope_names(r.scopes))
            name = r.title.zh if zh else r.title.en
            out.append(
                f"| `{r.code}` | {r.severity} | {scopes} | {name} | {r.source.replace('|', '/')} |"
            )
        out.append("")
    t = ruleset.templated
    out += [
        "#### " + ("跨市场模板化内容" if zh else "Templated cross-market content"),
        "",
        head,
        "|---|---|---|---|---|",
        f"| `{t.code}` | {t.severity} | video, live | {t.title.zh if zh else t.title.en} | {t.source} |",
        "",
    ]
    return "\n".join(out)


def _scope_names(scopes: Sequence[str]) -> list[str]:
    """Shortest group names covering ``scopes`` (listing, video, live, promotion, documents)."""
    names: list[str] = []
    left = list(scopes)
    for group in ("listing", "video", "live", "promotion", "documents"):
        members = SCOPE_GROUPS[group]
        if all(m in left for m in members):
            names.append(group)
            left = [x for x in left if x not in members]
    return names + left
