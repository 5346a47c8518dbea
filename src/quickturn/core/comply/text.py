"""Text rules: compile a :class:`RuleSet` into regular expressions and check texts (pure).

Data flow: ``TextEngine(ruleset)`` compiles every text rule once (English keywords and
patterns get ASCII word boundaries and are case-insensitive; Chinese words and patterns have
no boundaries) → ``engine.check(items)`` takes :class:`TextItem` records (a listing, a video,
a LIVE script, a promotion or a free text, each with its fields and their scopes) and returns
:class:`~quickturn.errors.Finding` records with the evidence span (``start``, ``end``,
``match``) of each hit.

For every match of a rule in a field the engine drops it when

1. it lies inside a span matched by one of the rule's ``except`` patterns ("cured ham");
2. the rule is ``negatable`` and a negation governs it ("not a cure", "does not treat",
   "不能治疗") — see :func:`negated_en` and :func:`negated_zh`;
3. the rule has ``min_amount`` and the captured amount is below it;
4. the rule has ``context`` terms and none occurs anywhere in the item, or ``unless`` terms
   and one occurs, or ``when`` conditions on the item's attributes that do not hold.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from quickturn.core.comply.findings import make_finding
from quickturn.core.comply.ruleset import (
    TEXT_SCOPES,
    Condition,
    NegationConfig,
    Rule,
    RuleSet,
    TermSet,
    alternation,
    expand_vocab,
)
from quickturn.errors import Finding

_B_BEFORE = r"(?<![A-Za-z0-9])"
_B_AFTER = r"(?![A-Za-z0-9])"
#: field names in Chinese, for ``{field}`` in Chinese messages
FIELD_ZH: dict[str, str] = {
    "title": "标题",
    "description": "描述",
    "caption": "文案",
    "script": "脚本",
    "text": "文本",
    "promotion": "促销文案",
}
_WS = re.compile(r"\s+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_EN_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|n't")
_EN_STOP = re.compile(r"[.!?;:\n\u3002\uff01\uff1f\uff1b\u2014]|--|\s-\s")
#: after a match: more list items then a coordinator ("…, raffles or lotteries")
_LIST_TAIL = re.compile(r"(?:\s*,\s*[a-z'-]+(?:\s+[a-z'-]+)?)*\s*,?\s+(or|nor)\s", re.IGNORECASE)
_ZH_STOP = re.compile(r"[，,。！？；!?;、\n\s：:]")


@dataclass(frozen=True)
class TextItem:
    """One thing to check: its id, and ``(field, scope, text)`` triples.

    ``item_id`` is what the CLI prints before the code (``sku:A1``, ``content:V9``,
    ``listings.csv``); ``row`` is the data row in a file; ``attrs`` are attributes that
    ``when`` conditions can test (category, price_usd, …).
    """

    item_id: str
    texts: tuple[tuple[str, str, str], ...]
    sku_id: str | None = None
    content_id: str | None = None
    row: int | None = None
    attrs: Mapping[str, Any] = field(default_factory=dict)


def terms_regex(terms: TermSet, vocab: Mapping[str, tuple[str, ...]]) -> re.Pattern[str] | None:
    """One case-insensitive regex matching any of ``terms`` (``None`` when empty)."""
    parts = _term_parts(terms, vocab, include_named=True)
    if not parts:
        return None
    return re.compile("|".join(parts), re.IGNORECASE)


def _term_parts(
    terms: TermSet, vocab: Mapping[str, tuple[str, ...]], *, include_named: bool
) -> list[str]:
    parts: list[str] = []
    if terms.keywords:
        parts.append(_B_BEFORE + alternation(sorted(set(terms.keywords))) + _B_AFTER)
    for p in terms.patterns:
        if include_named or "(?P<" not in p:
            parts.append(_B_BEFORE + "(?:" + expand_vocab(p, vocab) + ")" + _B_AFTER)
    if terms.zh:
        parts.append(alternation(sorted(set(terms.zh))))
    for p in terms.zh_patterns:
        if include_named or "(?P<" not in p:
            parts.append("(?:" + expand_vocab(p, vocab) + ")")
    return parts


def parse_amount(text: str) -> float | None:
    """``"1,200"`` → 1200, ``"1.5k"`` → 1500, ``"2万"`` → 20000; ``None`` if not a number."""
    t = text.strip().lower().replace(",", "").replace(" ", "")
    mult = 1.0
    if t.endswith("k"):
        mult, t = 1000.0, t[:-1]
    elif t.endswith("万"):
        mult, t = 10000.0, t[:-1]
    elif t.endswith("千"):
        mult, t = 1000.0, t[:-1]
    try:
        return float(t) * mult
    except ValueError:
        return None


def negated_en(text: str, start: int, cfg: NegationConfig, end: int | None = None) -> bool:
    """Is the English match at ``start`` governed by a negation cue before it?

    Walk back over at most ``en_window`` words of the same sentence.  A cue (``not``,
    ``never``, ``no``, ``…n't``) negates the match when every word between them is a
    "bridge" word (auxiliaries, ``intended``, ``to``, ``a``, other claim verbs, …) and the
    cue is not part of "not only" / "not just".  So "is not intended to diagnose, treat,
    cure or prevent" negates *cure*, while "can't believe it cures" does not.  After a
    coordinator ("or", "nor") up to ``en_list_window`` other words may be skipped: they are
    the earlier items of a negated list ("we don't run raffles or lucky draws"); so may they
    when the match (ending at ``end``) is itself followed by "or …" ("no spins, raffles or
    lotteries" negates *raffles*).
    """
    if not cfg.en_cues:
        return False
    pre = text[max(0, start - 160) : start].lower().replace("\u2019", "'")
    stops = list(_EN_STOP.finditer(pre))
    if stops:
        pre = pre[stops[-1].end() :]
    tokens = _EN_TOKEN.findall(pre)
    cues = set(cfg.en_cues)
    bridge = set(cfg.en_bridge)
    not_cues = set(cfg.en_not_cues)
    coordinators = set(cfg.en_coordinators)
    skip = 0
    if end is not None and coordinators:
        tail = _LIST_TAIL.match(text, end)
        if tail is not None and tail.group(1).lower() in coordinators:
            skip = cfg.en_list_window
    for i in range(len(tokens) - 1, max(-1, len(tokens) - 1 - cfg.en_window), -1):
        tok = tokens[i]
        if tok in cues or tok.endswith("n't"):
            nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
            return nxt not in not_cues
        if tok in coordinators:
            skip = cfg.en_list_window
            continue
        if tok in bridge:
            continue
        if skip > 0:  # an earlier item of the same list ("raffles" in "no raffles or draws")
            skip -= 1
            continue
        return False
    return False


def negated_zh(text: str, start: int, cfg: NegationConfig) -> bool:
    """Is the match at ``start`` preceded, in the same clause, by a Chinese negation?

    Looks at the clause before the match (up to the last punctuation) for a cue (不能, 无法,
    并非, 不, …) at most ``zh_window`` characters before the match, ignoring look-alikes
    that are not negations (不仅 "not only", 非常 "very", 不要错过 "don't miss") and giving
    up when a breaker (就, 才, 却 …) sits between cue and match ("不用吃药就能治愈").
    """
    if not cfg.zh_cues:
        return False
    pre = text[max(0, start - 40) : start]
    stops = list(_ZH_STOP.finditer(pre))
    if stops:
        pre = pre[stops[-1].end() :]
    if not pre:
        return False
    for cue in sorted(cfg.zh_cues, key=len, reverse=True):
        idx = pre.rfind(cue)
        while idx >= 0:
            if not _inside(pre, idx, cue, cfg.zh_not_cues):
                between = pre[idx + len(cue) :]
                if len(between) <= cfg.zh_window and not any(b in between for b in cfg.zh_breakers):
                    return True
                break
            idx = pre.rfind(cue, 0, idx)
    return False


def _inside(text: str, idx: int, cue: str, words: Sequence[str]) -> bool:
    """Is the cue at ``text[idx:]`` part of one of ``words`` (不仅, 非常, …)?"""
    for w in words:
        k = w.find(cue)
        while k >= 0:
            st = idx - k
            if st >= 0 and text[st : st + len(w)] == w:
                return True
            k = w.find(cue, k + 1)
    return False


def condition_holds(cond: Condition, attrs: Mapping[str, Any]) -> bool:
    """Does ``attrs[cond.attribute] <op> cond.value`` hold? Missing or empty: false."""
    if cond.attribute not in attrs:
        return False
    v = attrs[cond.attribute]
    if v is None:
        return False
    target = cond.value
    if isinstance(v, str):
        v = v.strip().lower()
        if isinstance(target, str):
            target = target.lower()
        elif isinstance(target, tuple | list):
            target = tuple(t.lower() if isinstance(t, str) else t for t in target)
    try:
        if cond.op == "eq":
            return bool(v == target)
        if cond.op == "ne":
            return bool(v != target)
        if cond.op == "in":
            return v in target
        if cond.op == "gt":
            return float(v) > float(target)
        if cond.op == "ge":
            return float(v) >= float(target)
        if cond.op == "lt":
            return float(v) < float(target)
        if cond.op == "le":
            return float(v) <= float(target)
    except (TypeError, ValueError):
        return False
    return False


_PREFIX_LEN = 5
_PREFIX_MAX = 400


def literal_prefixes(pattern: str) -> frozenset[str] | None:
    """Lower-case strings one of which occurs in every match of ``pattern`` (``None``: unknown).

    Used as a cheap pre-filter: a rule none of whose strings occurs in the lower-cased text
    (whitespace folded to single spaces) cannot match, so its regex is not run.  Computed
    from the parsed regex: the prefixes of the match (literals, groups, alternatives, small
    character sets, repeats; anything else ends a prefix) or, when the match can start with
    anything (``\\d``, ``[a-z]``), the prefixes of the part after a mandatory element.
    """
    try:
        import re._constants as c
        import re._parser as p

        parsed = p.parse(pattern, re.IGNORECASE)
    except Exception:  # pragma: no cover - other Python implementations
        return None
    zero_width = {c.AT, c.ASSERT, c.ASSERT_NOT}
    repeats = {c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", c.MAX_REPEAT)}

    def seq(items: list[Any], budget: int) -> set[str] | None:
        i = 0
        while i < len(items) and items[i][0] in zero_width:
            i += 1
        if i == len(items) or budget == 0:
            return {""}
        op, av = items[i]
        rest = items[i + 1 :]
        out: set[str] | None
        if op is c.LITERAL:
            tail = seq(rest, budget - 1) or {""}
            out = {chr(av).lower() + t for t in tail}
        elif op is c.SUBPATTERN:
            out = seq(list(av[-1].data) + rest, budget)
        elif op is c.BRANCH:
            out = set()
            for branch in av[1]:
                sub = seq(list(branch.data) + rest, budget)
                if sub is None:
                    return None
                out |= sub
        elif op is c.IN:
            chars = {chr(v).lower() for k, v in av if k is c.LITERAL}
            if any(k is c.CATEGORY and v is c.CATEGORY_SPACE for k, v in av):
                chars.add(" ")  # the text is searched with whitespace runs folded to " "
            elif len(chars) != len(av):
                return {""}
            if len(chars) > 8:
                return {""}
            tail = seq(rest, budget - 1) or {""}
            out = {ch + t for ch in chars for t in tail}
        elif op is c.CATEGORY and av is c.CATEGORY_SPACE:
            tail = seq(rest, budget - 1) or {""}
            out = {" " + t for t in tail}
        elif op in repeats and _is_space(list(av[2].data)) and av[0] >= 1:
            # whitespace runs are folded to one " " in the searched text
            tail = seq(rest, budget - 1) or {""}
            out = {" " + t for t in tail}
        elif op in repeats:
            lo, _hi, sub = av
            first = seq(list(sub.data), budget)
            if lo >= 1:
                out = first
            else:
                after = seq(rest, budget)
                if first is None or after is None:
                    return None
                out = first | after
        else:
            return {""}
        if out is None or len(out) > _PREFIX_MAX:
            return None
        return out

    def _is_space(items: list[Any]) -> bool:
        if len(items) != 1:
            return False
        op, av = items[0]
        if op is c.CATEGORY:
            return bool(av is c.CATEGORY_SPACE)
        return bool(op is c.IN and len(av) == 1 and av[0] == (c.CATEGORY, c.CATEGORY_SPACE))

    def flatten(items: list[Any]) -> list[Any]:
        out: list[Any] = []
        for op, av in items:
            if op is c.SUBPATTERN:
                out.extend(flatten(list(av[-1].data)))
            else:
                out.append((op, av))
        return out

    items = flatten(list(parsed.data))
    best: set[str] | None = None
    # a match starts with one of seq(items); failing that, it contains one of seq(items[k:])
    # for any top-level element k (each is mandatory): take the most selective set
    for k in range(len(items)):
        if items[k][0] in zero_width:
            continue
        got = seq(items[k:], _PREFIX_LEN)
        if got and "" not in got:
            key = (min(len(x) for x in got), -len(got))
            if best is None or key > (min(len(x) for x in best), -len(best)):
                best = got
    if best is None:
        return None
    # the searched text has whitespace runs folded to one space: so must the triggers
    return frozenset(minimal_prefixes(re.sub(" +", " ", x) for x in best))


def minimal_prefixes(strings: Iterable[str]) -> list[str]:
    """Drop strings that start with another string of the set (their test is implied)."""
    kept: list[str] = []
    for s in sorted(set(strings), key=lambda x: (len(x), x)):
        if not any(s.startswith(k) for k in kept):
            kept.append(s)
    return sorted(kept)


def trie_regex(words: Iterable[str]) -> str:
    """A regex matching any of ``words``, as a trie (``cur(?:e[ds]?|ing)``): fast in ``re``
    and greedy, so at each position it matches the longest word starting there."""
    trie: dict[str, Any] = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        end = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if end:
            body = "(?:" + body + ")?"
        return body

    return build(trie)


@dataclass
class _Compiled:
    rule: Rule
    #: one regex per part of the matcher (the keyword list, the Chinese list, each pattern)
    parts: list[re.Pattern[str]]
    #: per part: lower-case strings one of which occurs in every match (``None``: always run)
    triggers: list[tuple[str, ...] | None]
    exceptions: re.Pattern[str] | None
    context: re.Pattern[str] | None
    unless: re.Pattern[str] | None
    scopes: frozenset[str]


class TextEngine:
    """The text rules of a rule set, compiled once; ``check(items)`` returns findings.

    Each rule's matcher is split in parts (its keyword list, its Chinese words, each pattern),
    compiled separately with the strings :func:`literal_prefixes` says every match contains.
    One scan of the lower-cased text for all those strings (a trie regex) tells which parts
    can match; only those run.  ``prefilter=False`` runs every part on every text (same
    results, slower: the benchmark's baseline).
    """

    def __init__(
        self, ruleset: RuleSet, *, codes: Sequence[str] | None = None, prefilter: bool = True
    ) -> None:
        self.ruleset = ruleset
        self.negation = ruleset.negation
        wanted = set(codes) if codes is not None else None
        self.compiled: list[_Compiled] = []
        vocab = ruleset.vocab
        for rule in ruleset.text_rules:
            if wanted is not None and rule.code not in wanted:
                continue
            sources = _term_parts(rule.match, vocab, include_named=True)
            exc = (
                re.compile(
                    "|".join("(?:" + expand_vocab(p, vocab) + ")" for p in rule.exceptions), re.I
                )
                if rule.exceptions
                else None
            )
            triggers: list[tuple[str, ...] | None] = []
            for src in sources:
                pre = literal_prefixes(src) if prefilter else None
                triggers.append(tuple(sorted(pre)) if pre else None)
            self.compiled.append(
                _Compiled(
                    rule=rule,
                    parts=[re.compile(src, re.I) for src in sources],
                    triggers=triggers,
                    exceptions=exc,
                    context=terms_regex(rule.context, vocab),
                    unless=terms_regex(rule.unless, vocab),
                    scopes=frozenset(rule.scopes),
                )
            )
        # global part ids; the trigger scan wakes parts (all triggers found at a position are
        # prefixes of the longest one the greedy trie regex returns there)
        self._part_ids: list[tuple[int, int]] = [
            (i, j) for i, c in enumerate(self.compiled) for j in range(len(c.parts))
        ]
        exact: dict[str, set[int]] = {}
        self._always: list[int] = []
        for g, (i, j) in enumerate(self._part_ids):
            trig = self.compiled[i].triggers[j]
            if trig is None:
                self._always.append(g)
            else:
                for t in trig:
                    exact.setdefault(t, set()).add(g)
        self._wakes: dict[str, frozenset[int]] = {}
        for t in exact:
            woken: set[int] = set()
            for k in range(1, len(t) + 1):
                woken |= exact.get(t[:k], set())
            self._wakes[t] = frozenset(woken)
        # a leading class of the triggers' first characters lets the scan skip most positions
        first = "".join(sorted({re.escape(t[0]) for t in exact}))
        self._trigger_rx = (
            re.compile("(?=[" + first + "])(?=(" + trie_regex(sorted(exact)) + "))")
            if exact
            else None
        )

    def _candidates(self, lowered: str) -> dict[int, list[int]]:
        """Rule index → indices of its parts that may match ``lowered`` (rules in order)."""
        woken: set[int] = set(self._always)
        if self._trigger_rx is not None:
            for t in set(self._trigger_rx.findall(lowered)):
                woken |= self._wakes[t]
        out: dict[int, list[int]] = {}
        for g in sorted(woken):
            i, j = self._part_ids[g]
            out.setdefault(i, []).append(j)
        return out

    # -- matching --------------------------------------------------------------------------
    def _negated(self, text: str, start: int, end: int | None = None) -> bool:
        return negated_en(text, start, self.negation, end) or negated_zh(text, start, self.negation)

    def matches(
        self, c: _Compiled, text: str, parts: Sequence[int] | None = None
    ) -> list[tuple[int, int, str, float | None]]:
        """Accepted ``(start, end, matched text, amount)`` of one rule in one text."""
        rule = c.rule
        found: list[tuple[int, int, str, float | None]] = []
        raw: list[re.Match[str]] = []
        for j in range(len(c.parts)) if parts is None else parts:
            raw.extend(c.parts[j].finditer(text))
        if not raw:
            return found
        exc_spans = [m.span() for m in c.exceptions.finditer(text)] if c.exceptions else []
        for m in raw:
            s, e = m.span()
            if s == e:
                continue
            if any(a <= s and e <= b for a, b in exc_spans):
                continue
            amount: float | None = None
            if rule.min_amount is not None:
                got = m.groupdict().get("amount")
                if got is None:
                    continue
                amount = parse_amount(got)
                if amount is None or amount < rule.min_amount:
                    continue
            if rule.negatable and self._negated(text, s, e):
                continue
            found.append((s, e, m.group(0), amount))
        found.sort(key=lambda f: (f[0], -f[1]))  # leftmost, then longest
        merged: list[tuple[int, int, str, float | None]] = []
        for f in found:
            if merged and f[0] < merged[-1][1]:
                continue
            merged.append(f)
        return merged

    def check_item(self, item: TextItem, *, scopes: Iterable[str] | None = None) -> list[Finding]:
        """Findings for one item (``scopes`` limits which field scopes are checked)."""
        allowed = set(scopes) if scopes is not None else None
        out: list[Finding] = []
        full: str | None = None
        lowered = _WS.sub(" ", " ".join(t for _f, _s, t in item.texts if t).lower())
        for index, parts in self._candidates(lowered).items():
            c = self.compiled[index]
            rule = c.rule
            if rule.when and not all(condition_holds(w, item.attrs) for w in rule.when):
                continue
            hits: list[tuple[str, str, int, int, str, float | None]] = []
            for fld, scope, text in item.texts:
                if not text or (allowed is not None and scope not in allowed):
                    continue
                if scope != "text" and scope not in c.scopes:
                    continue
                for s, e, matched, amount in self.matches(c, text, parts):
                    hits.append((fld, scope, s, e, matched, amount))
            if not hits:
                continue
            if c.context is not None or c.unless is not None:
                if full is None:
                    full = "\n".join(t for _f, _s, t in item.texts if t)
                if c.context is not None and not c.context.search(full):
                    continue
                if c.unless is not None and c.unless.search(full):
                    continue
            for fld, scope, s, e, matched, amount in hits:
                out.append(self._finding(rule, item, fld, scope, s, e, matched, amount))
        return out

    def check(
        self, items: Iterable[TextItem], *, scopes: Iterable[str] | None = None
    ) -> list[Finding]:
        sc = list(scopes) if scopes is not None else None
        out: list[Finding] = []
        for item in items:
            out.extend(self.check_item(item, scopes=sc))
        return out

    def codes_for(self, text: str, scope: str = "text") -> set[str]:
        """The codes that fire on one free text (used by the corpus evaluation)."""
        item = TextItem("text", (("text", scope, text),))
        return {f.code for f in self.check_item(item)}

    @staticmethod
    def _finding(
        rule: Rule,
        item: TextItem,
        fld: str,
        scope: str,
        start: int,
        end: int,
        matched: str,
        amount: float | None,
    ) -> Finding:
        params: dict[str, Any] = {
            "match": matched,
            "field": fld,
            "field_zh": FIELD_ZH.get(fld, fld),
            "scope": scope,
            "item": item.item_id,
            "sku_id": item.sku_id or "",
            "content_id": item.content_id or "",
            "amount": f"{amount:,.0f}" if amount is not None else "",
            "threshold": f"{rule.min_amount:,.0f}" if rule.min_amount is not None else "",
        }
        return make_finding(
            code=rule.code,
            severity=rule.severity,
            message=rule.message,
            fix=rule.fix,
            params=params,
            source=item.item_id,
            row=item.row,
            column=fld,
            value=matched,
            record={
                "kind": "text",
                "scope": scope,
                "field": fld,
                "start": start,
                "end": end,
                "match": matched,
                "sku_id": item.sku_id,
                "content_id": item.content_id,
                "rule_source": rule.source,
                "title": rule.title.en,
                "title_zh": rule.title.zh,
            },
        )


_ENGINES: dict[int, tuple[RuleSet, TextEngine]] = {}


def engine_for(ruleset: RuleSet) -> TextEngine:
    """A compiled engine for ``ruleset``, reused while the same rule set object is alive."""
    hit = _ENGINES.get(id(ruleset))
    if hit is not None and hit[0] is ruleset:
        return hit[1]
    engine = TextEngine(ruleset)
    if len(_ENGINES) >= 8:
        _ENGINES.pop(next(iter(_ENGINES)))
    _ENGINES[id(ruleset)] = (ruleset, engine)
    return engine


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


__all__ = [
    "TEXT_SCOPES",
    "TextEngine",
    "TextItem",
    "condition_holds",
    "engine_for",
    "has_cjk",
    "negated_en",
    "negated_zh",
    "parse_amount",
    "terms_regex",
]
