"""Text rules: compile a :class:`RuleSet` once and check texts against it (pure).

Data flow: ``TextEngine(ruleset)`` builds the rule set's normaliser
(:func:`ruleset_normalizer`, see :mod:`quickturn.core.comply.normalize`), one Aho-Corasick
automaton of every rule's literals (English keywords with ASCII word boundaries, Chinese
words without, and the trigger strings that wake each regular expression) and the regular
expressions that rules need (case-insensitive; English ones with ASCII word boundaries) →
``engine.check(items)`` takes :class:`TextItem` records (a listing, a video, a LIVE script,
a promotion or a free text, each with its fields and their scopes), normalises each field,
scans it once with the automaton, runs the woken regexes on the normalised text and returns
:class:`~quickturn.errors.Finding` records whose evidence span (``start``, ``end``,
``match``) is mapped back to the field's original text.

For every match of a rule in a field the engine drops it when

1. it lies inside a span matched by one of the rule's ``except`` patterns ("cured ham");
2. the rule is ``negatable`` and a negation governs it ("not a cure", "does not treat",
   "不能治疗") — see :func:`negated_en` and :func:`negated_zh`;
3. the rule has ``min_amount`` and the captured amount is below it;
4. the rule has ``context`` terms and none occurs anywhere in the item, or ``unless`` terms
   and one occurs, or ``when`` conditions on the item's attributes that do not hold.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from quickturn.core.comply.findings import make_finding
from quickturn.core.comply.normalize import (
    Normalized,
    Normalizer,
    cjk_pairs_of,
    fold_separators,
    words_of,
)
from quickturn.core.comply.ruleset import (
    EN_AFTER,
    EN_BEFORE,
    TEXT_SCOPES,
    Condition,
    NegationConfig,
    Rule,
    RuleSet,
    TermSet,
    alternation,
    expand_vocab,
    pattern_source,
)
from quickturn.errors import Finding

_B_BEFORE = EN_BEFORE
_B_AFTER = EN_AFTER
#: field names in Chinese, for ``{field}`` in Chinese messages
FIELD_ZH: dict[str, str] = {
    "title": "标题",
    "description": "描述",
    "caption": "文案",
    "script": "脚本",
    "text": "文本",
    "promotion": "促销文案",
}
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
#: entries of the per-text memo of :meth:`TextEngine.check` before it is emptied (a text's
#: entry is its normalised form and matches: a few KB)
MEMO_MAX = 200_000
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


def keyword_variants(keyword: str) -> set[str]:
    """The strings an English keyword or Chinese word matches in separator-folded text
    (:func:`~quickturn.core.comply.normalize.fold_separators`): a space matches a run of
    spaces or hyphens (one space after folding), a hyphen an optional one (``""`` or ``" "``)."""
    pieces: list[tuple[str, ...]] = []
    for p in re.split(r"(\s+|-)", keyword.strip()):
        if not p:
            continue
        if p.isspace():
            pieces.append((" ",))
        elif p == "-":
            pieces.append(("", " "))
        else:
            pieces.append((p,))
    out: set[str] = set()
    for combo in itertools.islice(itertools.product(*pieces), 64):
        v = re.sub(" +", " ", "".join(combo)).strip()
        if v:
            out.add(v)
    return out


def ruleset_normalizer(ruleset: RuleSet) -> Normalizer:
    """A :class:`Normalizer` guided by a rule set's words and Chinese character pairs (its
    keywords, Chinese words, patterns, exceptions, context and vocabulary lists): what the
    normaliser's dictionary-guided stages may produce (see
    :mod:`quickturn.core.comply.normalize`)."""
    sources: list[str] = []
    for r in ruleset.text_rules:
        for ts in (r.match, r.context, r.unless):
            sources += [*ts.keywords, *ts.patterns, *ts.zh, *ts.zh_patterns]
        sources += list(r.exceptions)
    for words in ruleset.vocab.values():
        sources += list(words)
    return Normalizer(words_of(sources), cjk_pairs_of(sources))


#: how an automaton string acts on a part: a literal hit with word boundaries (English
#: keyword), a literal hit without (Chinese word), or a trigger waking a regex part
_HIT_BOUNDED, _HIT, _TRIGGER = 0, 1, 2


@dataclass
class _Compiled:
    rule: Rule
    #: one entry per part of the matcher (its keyword list, its Chinese words, each pattern):
    #: ``None`` for the literal lists (found by the automaton), else the pattern's regex
    parts: list[re.Pattern[str] | None]
    #: global part ids (index into ``TextEngine._part_rule``)
    gids: list[int]
    #: per regex part: does it run on every text (no literal every match contains)?
    always: list[bool]
    exceptions: re.Pattern[str] | None
    context: re.Pattern[str] | None
    unless: re.Pattern[str] | None
    scopes: frozenset[str]


class TextEngine:
    """The text rules of a rule set, compiled once; ``check(items)`` returns findings.

    Each text is first normalised (:class:`~quickturn.core.comply.normalize.Normalizer`;
    ``normalize=False`` only lower-cases it).  One Aho-Corasick automaton (``ahocorasick_rs``)
    holds every literal of the rules: the English keywords and Chinese words, which it finds
    directly (keywords then checked for ASCII word boundaries), and for each regular
    expression the strings one of which every match contains (:func:`literal_prefixes`),
    which wake it.  One scan of the separator-folded normalised text per field thus gives
    the literal hits of all rules and tells which regexes can match; only those run, on the
    normalised text.  Spans are mapped back to the seller's original text.  ``prefilter=False``
    runs every regex on every text (same results, slower: the benchmark's baseline).
    """

    def __init__(
        self,
        ruleset: RuleSet,
        *,
        codes: Sequence[str] | None = None,
        prefilter: bool = True,
        normalize: bool = True,
    ) -> None:
        import ahocorasick_rs

        self.ruleset = ruleset
        self.negation = ruleset.negation
        self.normalize = normalize
        self.prefilter = prefilter
        self.normalizer = ruleset_normalizer(ruleset)
        wanted = set(codes) if codes is not None else None
        self.compiled: list[_Compiled] = []
        self._part_rule: list[int] = []
        entries: dict[str, list[tuple[int, int]]] = {}
        self._always_rules: list[int] = []

        for rule in ruleset.text_rules:
            if wanted is None or rule.code in wanted:
                self._compile(rule, entries)
        self._keys = list(entries)
        self._actions = [tuple(entries[k]) for k in self._keys]
        self._automaton = (
            ahocorasick_rs.AhoCorasick(self._keys, matchkind=ahocorasick_rs.MatchKind.Standard)
            if self._keys
            else None
        )

    def _compile(self, rule: Rule, entries: dict[str, list[tuple[int, int]]]) -> None:
        """Add one rule: its parts, its literals and triggers (into ``entries``)."""
        vocab = self.ruleset.vocab
        index = len(self.compiled)
        c = _Compiled(
            rule=rule,
            parts=[],
            gids=[],
            always=[],
            exceptions=(
                re.compile(
                    "|".join("(?:" + expand_vocab(p, vocab) + ")" for p in rule.exceptions), re.I
                )
                if rule.exceptions
                else None
            ),
            context=terms_regex(rule.context, vocab),
            unless=terms_regex(rule.unless, vocab),
            scopes=frozenset(rule.scopes),
        )

        def new_part(rx: re.Pattern[str] | None, runs_always: bool) -> int:
            gid = len(self._part_rule)
            self._part_rule.append(index)
            c.parts.append(rx)
            c.gids.append(gid)
            c.always.append(runs_always)
            return gid

        m = rule.match
        for words, mode in ((m.keywords, _HIT_BOUNDED), (m.zh, _HIT)):
            if words:
                gid = new_part(None, False)
                for w in set(words):
                    for v in keyword_variants(w):
                        key = self._prepare(v)
                        if key:
                            entries.setdefault(key, []).append((gid, mode))
        for p, bounded in [(p, True) for p in m.patterns] + [(p, False) for p in m.zh_patterns]:
            src = pattern_source(p, vocab, bounded=bounded)
            pre = literal_prefixes(src) if self.prefilter else None
            # regexes run on the normalised text, so a trigger is just lower-cased and
            # separator-folded like the scanned text
            keys = {re.sub(r"[\s\-]+", " ", t.lower()) for t in pre} if pre else set()
            runs_always = not keys or "" in keys
            gid = new_part(re.compile(src, re.IGNORECASE), runs_always)
            if not runs_always:
                for t in keys:
                    entries.setdefault(t, []).append((gid, _TRIGGER))
        if any(c.always):
            self._always_rules.append(index)
        self.compiled.append(c)

    def _prepare(self, s: str) -> str:
        """A keyword as the automaton sees it: normalised like a text, separators folded."""
        t = self.normalizer.normalize(s).text if self.normalize else s.lower()
        return re.sub(r"[\s\-]+", " ", t)

    # -- scanning --------------------------------------------------------------------------
    def prepare(self, text: str) -> Normalized:
        """The normalised text the rules see (``normalize=False``: lower-cased only)."""
        if self.normalize:
            return self.normalizer.normalize(text)
        low = text.lower()
        if len(low) != len(text):  # "İ" lower-cases to two characters: keep offsets 1:1
            low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
        return Normalized(low, text)

    def scan(self, text: str) -> tuple[dict[int, list[tuple[int, int]]], set[int]]:
        """One automaton pass over normalised ``text``: literal hits per part (spans in
        ``text``) and the regex parts woken by a trigger."""
        hits: dict[int, list[tuple[int, int]]] = {}
        woken: set[int] = set()
        if self._automaton is None:
            return hits, woken
        folded, offs = fold_separators(text)
        n = len(folded)
        actions = self._actions
        for pid, s, e in self._automaton.find_matches_as_indexes(folded, overlapping=True):
            for gid, mode in actions[pid]:
                if mode == _TRIGGER:
                    woken.add(gid)
                    continue
                if mode == _HIT_BOUNDED and (
                    (s > 0 and _is_word_char(folded[s - 1])) or (e < n and _is_word_char(folded[e]))
                ):
                    continue
                if offs is None:
                    hits.setdefault(gid, []).append((s, e))
                else:
                    hits.setdefault(gid, []).append((offs[s], offs[e - 1] + 1))
        return hits, woken

    # -- matching --------------------------------------------------------------------------
    def _negated(self, text: str, start: int, end: int | None = None) -> bool:
        return negated_en(text, start, self.negation, end) or negated_zh(text, start, self.negation)

    def matches(
        self,
        c: _Compiled,
        text: str,
        hits: Mapping[int, list[tuple[int, int]]],
        woken: set[int],
    ) -> list[tuple[int, int, float | None]]:
        """Accepted ``(start, end, amount)`` of one rule in one normalised text."""
        rule = c.rule
        raw: list[tuple[int, int, re.Match[str] | None]] = []
        for j, rx in enumerate(c.parts):
            gid = c.gids[j]
            if rx is None:
                raw.extend((s, e, None) for s, e in hits.get(gid, ()))
            elif c.always[j] or gid in woken:
                raw.extend((m.start(), m.end(), m) for m in rx.finditer(text))
        if not raw:
            return []
        exc_spans = [m.span() for m in c.exceptions.finditer(text)] if c.exceptions else []
        found: list[tuple[int, int, float | None]] = []
        for s, e, m in raw:
            if s == e:
                continue
            if any(a <= s and e <= b for a, b in exc_spans):
                continue
            amount: float | None = None
            if rule.min_amount is not None:
                got = m.groupdict().get("amount") if m is not None else None
                if got is None:
                    continue
                amount = parse_amount(got)
                if amount is None or amount < rule.min_amount:
                    continue
            if rule.negatable and self._negated(text, s, e):
                continue
            found.append((s, e, amount))
        found.sort(key=lambda f: (f[0], -f[1]))  # leftmost, then longest
        merged: list[tuple[int, int, float | None]] = []
        for f in found:
            if merged and f[0] < merged[-1][1]:
                continue
            merged.append(f)
        return merged

    def check_item(
        self,
        item: TextItem,
        *,
        scopes: Iterable[str] | None = None,
        memo: dict[Any, Any] | None = None,
    ) -> list[Finding]:
        """Findings for one item (``scopes`` limits which field scopes are checked).

        ``memo`` (a dict shared over many items, see :meth:`check`) keeps the work that
        depends on a field's text alone — normalising, the automaton scan and each rule's
        matches — so that a text repeated over many items (a shop's templated captions) is
        analysed once; the findings are the same with or without it."""
        allowed = set(scopes) if scopes is not None else None
        fields: list[tuple[str, str, Normalized, dict[int, list[tuple[int, int]]], set[int]]] = []
        touched: set[int] = set(self._always_rules)
        part_rule = self._part_rule
        for fld, scope, text in item.texts:
            if not text:
                continue
            got = memo.get(text) if memo is not None else None
            if got is None:
                norm = self.prepare(text)
                hits, woken = self.scan(norm.text)
                if not self.prefilter:
                    woken = set(range(len(part_rule)))
                if memo is not None:
                    memo[text] = (norm, hits, woken)
            else:
                norm, hits, woken = got
            fields.append((fld, scope, norm, hits, woken))
            touched.update(part_rule[g] for g in hits)
            touched.update(part_rule[g] for g in woken)
        out: list[Finding] = []
        full: str | None = None
        for index in sorted(touched):
            c = self.compiled[index]
            rule = c.rule
            if rule.when and not all(condition_holds(w, item.attrs) for w in rule.when):
                continue
            found: list[tuple[str, str, int, int, str, float | None]] = []
            for fld, scope, norm, hits, woken in fields:
                if allowed is not None and scope not in allowed:
                    continue
                if scope != "text" and scope not in c.scopes:
                    continue
                if memo is None:
                    accepted = self.matches(c, norm.text, hits, woken)
                else:
                    mkey = (index, norm.text)
                    cached: list[tuple[int, int, float | None]] | None = memo.get(mkey)
                    if cached is None:
                        cached = memo[mkey] = self.matches(c, norm.text, hits, woken)
                    accepted = cached
                for s, e, amount in accepted:
                    os_, oe = norm.span(s, e)
                    found.append((fld, scope, os_, oe, norm.original[os_:oe], amount))
            if not found:
                continue
            if c.context is not None or c.unless is not None:
                if full is None:
                    full = "\n".join(f[2].text for f in fields)
                if c.context is not None and not c.context.search(full):
                    continue
                if c.unless is not None and c.unless.search(full):
                    continue
            for fld, scope, s, e, matched, amount in found:
                out.append(self._finding(rule, item, fld, scope, s, e, matched, amount))
        return out

    def check(
        self, items: Iterable[TextItem], *, scopes: Iterable[str] | None = None
    ) -> list[Finding]:
        sc = list(scopes) if scopes is not None else None
        out: list[Finding] = []
        memo: dict[Any, Any] = {}  # per-text work shared by the items (see check_item)
        for item in items:
            if len(memo) > MEMO_MAX:  # bounded: a batch of unique texts does not pile up
                memo.clear()
            out.extend(self.check_item(item, scopes=sc, memo=memo))
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


def _is_word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


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
