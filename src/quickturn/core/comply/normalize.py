"""Normalise a seller's text before the rules match it, keeping a map back to the original (pure).

Sellers dodge keyword filters: ``ｃｕｒｅｓ`` (full-width), ``cu\u200bres`` (zero-width space),
``c.u.r.e.s`` / ``w h e e l`` (spaced letters), ``cl1nically`` / ``r@ffle`` (digits and symbols
for letters), ``cu😊res`` (emoji inside a word), ``治 疗`` (spaced Chinese), ``治療`` (traditional
characters).  :class:`Normalizer` undoes these in a fixed pipeline, one stage after another:

1. **Unicode** — per character: NFKC (full-width → ASCII, ligatures, circled letters,
   compatibility ideographs), Latin diacritics stripped (``cürés`` → ``cures``), case folding,
   Cyrillic and Greek look-alikes → Latin (``wеchat`` with a Cyrillic ``е``),
   curly apostrophes → ``'``, traditional → simplified Chinese for the characters the rule
   terms use (:mod:`~quickturn.core.comply.zh_variants`); format and combining characters
   dropped (zero-width space/joiners U+200B–U+200D, U+2060, BOM U+FEFF, soft hyphen,
   variation selectors, "zalgo" marks).
2. **Symbols inside words** — emoji and pictographs between two letters or characters are
   dropped (``cu😊res``, ``抽🎁奖``); a symbol next to a space is left alone ("5★ review").
3. **Spaced Chinese** — spaces and light separators (``*·._~|/-``) between two Chinese
   characters are dropped when one of the two stands alone (``治 疗``, ``抽*奖``, ``治 疗 痘 痘``)
   or the two are adjacent in a rule term (``能治 疗湿疹``), not between two other words
   (``本品无副作用 治愈率高`` keeps its clause break).
4. **Spaced letters** — three or more single letters/digits joined by one repeated separator
   (a space, or ``.`` ``-`` ``*`` ``_`` ``~`` ``|`` ``/`` ``·`` with or without a space each side)
   become one word (``c.u.r.e.s`` → ``cures``); when the run spells several rule words the
   spaces go back in (``s p i n t h e w h e e l`` → ``spin the wheel``).  At least two of
   the items must be letters, so ``4 1 5 5 5 5`` (a phone number) stays.
5. **Broken words** — a word split by single spaces (``imm un e``, ``te le gram``) is joined
   when one piece is not a word and the joined word (5+ letters) is a rule word; punctuation
   inside a word (``cu.res``, ``mir-acle``) is dropped when the joined word is a rule word,
   and a word chopped into pieces of at most three letters (``an.ti-an.xi.e.ty``) is
   re-segmented into rule words; ``site.com``, ``t-shirt``, ``homemade-style`` stay.
6. **Digits and symbols for letters** — inside a token that also has letters (at least as
   many letters as swapped characters), ``0→o 1→i|l 3→e 4→a 5→s 7→t @→a $→s``, and between
   letters ``!→i |→i|l``; every reading
   (``1`` is ``i`` or ``l``) is tried and one is taken only when it is a rule word
   (``cl1nically``, ``r@ffle``, ``b0x``, ``ca$h``), so ``$5``, ``50%``, ``3 pack``, ``a1c``,
   ``glp1``, ``mp3`` and ``B0X-12`` (a model number: digits joined by a hyphen) stay.

"Rule words" are the words of the rule set (keywords, vocabulary lists, the letters of its
patterns) plus a few function words, with simple inflections (``-s -es -ed -d -ing -er -ly``).

Every stage only deletes characters, replaces one character by one, or (stage 1) expands one
character into several; :class:`Normalized` keeps ``offsets[i]`` = the index in the original
text of the character that produced normalised character ``i``, so :meth:`Normalized.span`
turns a match in the normalised text back into the seller's own characters.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from quickturn.core.comply.zh_variants import TRAD_TO_SIMP

#: small function words a run of spaced letters may contain between rule words
FUNCTION_WORDS: frozenset[str] = frozenset(
    [
        "a",
        "an",
        "the",
        "to",
        "my",
        "your",
        "our",
        "on",
        "of",
        "in",
        "for",
        "and",
        "or",
        "me",
        "us",
        "it",
        "is",
        "are",
        "with",
        "no",
        "more",
        "all",
        "at",
        "by",
        "this",
        "that",
        "you",
        "we",
        "i",
        "be",
        "get",
        "got",
        "now",
        "up",
        "off",
        "from",
        "now",
        "buy",
    ]
)
#: digit / symbol → the letters it may stand for, inside a word
SWAPS: dict[str, str] = {
    "0": "o",
    "1": "il",
    "3": "e",
    "4": "a",
    "5": "s",
    "7": "t",
    "@": "a",
    "$": "s",
    "!": "i",
    "|": "il",
}
_SUFFIXES = ("s", "es", "ed", "d", "ing", "er", "ers", "ly", "y")
_QUOTES = {"\u2018": "'", "\u2019": "'", "\u02bc": "'", "\u00b4": "'", "\uff07": "'"}
_DROP_CATEGORIES = frozenset({"Mn", "Me", "Cf"})
#: Cyrillic and Greek letters that look like Latin ones (after case folding): "wеchat"
_CONFUSABLES = dict(
    zip(
        "аеорсухіјѕԁһӏкмтвαβεικνορτυχημ",
        "aeopcyxijsdhlkmtbabeiknoptuxhm",
        strict=True,
    )
)
_LATIN = re.compile(r"[\u00c0-\u024f\u1e00-\u1eff]")
_CJK_CLASS = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_CHAR = re.compile(f"[{_CJK_CLASS}]")
_SYMBOLS = (
    r"\u2190-\u21ff\u2300-\u23ff\u2460-\u24ff\u25a0-\u27bf\u2900-\u297f\u2b00-\u2bff"
    r"\u3030\u303d\u3297\u3299\U0001f000-\U0001faff"
)
_IN_WORD_SYMBOLS = re.compile(f"(?<=[^\\W_])[{_SYMBOLS}]+(?=[^\\W_])")
_CJK_GAP = re.compile(f"(?<=[{_CJK_CLASS}])[ *·._~|/\\-]+(?=[{_CJK_CLASS}])")
_ITEM = r"[a-z0-9@$]"
_SPACED = re.compile(
    rf"(?<![^\W_]){_ITEM}(?P<sep> ?[.\-*_~|/·•] ?| )(?:{_ITEM}(?P=sep))+{_ITEM}(?![^\W_]|[@$])"
)
_PUNCT_WORD = re.compile(r"(?<![a-z0-9@$])[a-z]+(?:[.\-*_~|·•]+[a-z]+)+(?![a-z0-9@$])")
_SWAP_TOKEN = re.compile(
    r"(?<![a-z0-9@$])(?:[a-z0-9@$]|(?<=[a-z0-9])[!|](?=[a-z0-9]))*"
    r"(?:[a-z][013457@$]|[013457@$][a-z]|(?<=[a-z])[!|](?=[a-z]))"
    r"(?:[a-z0-9@$]|(?<=[a-z0-9])[!|](?=[a-z0-9]))*(?![a-z0-9@$])"
)
_WORD = re.compile(r"[a-z]+")
#: a short letter run next to a space: maybe a piece of a broken word
_SHORT_PIECE = re.compile(r"(?:^| )[a-z]{1,4} [a-z]|[a-z] [a-z]{1,4}(?: |$)")
_PIECE = re.compile(r"(?<![a-z0-9])[a-z]{1,4}(?![a-z0-9])")
_LETTERS = re.compile(r"[a-z]")
_FOLD = re.compile(r"[\s\-]+")
_FOLD_NEEDED = re.compile(r"[^\S ]|  |-")
_MAX_READINGS = 32


def _char(ch: str) -> str:
    """What one original character becomes (``""``: dropped)."""
    if unicodedata.category(ch) in _DROP_CATEGORIES:
        return ""
    s = unicodedata.normalize("NFKC", ch)
    if _LATIN.search(s):
        s = "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.combining(c))
    s = s.casefold()
    return "".join(_QUOTES.get(c) or _CONFUSABLES.get(c) or TRAD_TO_SIMP.get(ord(c), c) for c in s)


class _CharTable(dict[int, str]):
    """``str.translate`` table computing :func:`_char` on first use; remembers which
    characters do not map to exactly one character (``irregular``)."""

    def __init__(self) -> None:
        super().__init__()
        self.irregular: set[str] = set()

    def __missing__(self, code: int) -> str:
        s = _char(chr(code))
        self[code] = s
        if len(s) != 1:
            self.irregular.add(chr(code))
        return s


_TABLE = _CharTable()


@dataclass(frozen=True)
class Normalized:
    """A normalised text, the original and the map between them."""

    text: str
    original: str
    #: ``offsets[i]``: index in ``original`` of normalised character ``i`` (``None``: same)
    offsets: Sequence[int] | None = None

    def index(self, i: int) -> int:
        """The original index of normalised character ``i``."""
        return i if self.offsets is None else self.offsets[i]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original ``[start, end)`` that normalised ``[start, end)`` came from."""
        if self.offsets is None or end <= start:
            return start, end
        return self.offsets[start], self.offsets[end - 1] + 1

    def source(self, start: int, end: int) -> str:
        """What the seller wrote for normalised ``[start, end)``."""
        s, e = self.span(start, end)
        return self.original[s:e]


Edit = list[tuple[str, int]] | None


def edit(
    text: str,
    offsets: Sequence[int] | None,
    rx: re.Pattern[str],
    fn: Callable[[re.Match[str]], Edit],
) -> tuple[str, Sequence[int] | None]:
    """Rewrite each match of ``rx`` in ``text`` by ``fn(match)``: ``None`` leaves it, else a
    list of ``(character, index in text)`` — the replacement, each character tied to the
    character of ``text`` it stands for.  Returns the new text and offsets composed with
    ``offsets``."""
    out: list[str] = []
    idx: list[int] = []
    last = 0
    changed = False
    for m in rx.finditer(text):
        rep = fn(m)
        if rep is None:
            continue
        s = m.start()
        out.append(text[last:s])
        idx.extend(range(last, s))
        for ch, j in rep:
            out.append(ch)
            idx.append(j)
        last = m.end()
        changed = True
    if not changed:
        return text, offsets
    out.append(text[last:])
    idx.extend(range(last, len(text)))
    new = idx if offsets is None else [offsets[j] for j in idx]
    return "".join(out), new


def fold_separators(text: str) -> tuple[str, Sequence[int] | None]:
    """Runs of whitespace and hyphens → one space (how keywords are matched: a space in a
    keyword matches any such run); the offsets map back into ``text``."""
    if not _FOLD_NEEDED.search(text):
        return text, None
    return edit(
        text,
        None,
        _FOLD,
        lambda m: None if m.group(0) == " " else [(" ", m.start())],
    )


def words_of(strings: Iterable[str]) -> frozenset[str]:
    """The words (3+ letters, lower case) in ``strings``, which may be regular expressions:
    escapes (``\\s``), group names and ``{@vocab}`` references are skipped.  Tokens mixing
    letters and digits (``a1c``, ``b1g1``) are kept whole, so normalising never rewrites a
    word the rules themselves use."""
    out: set[str] = set()
    for s in strings:
        s = re.sub(
            r"\\[A-Za-z]|\(\?P[<=][^>)]*[>)]|\{@[a-z_0-9]*\}|\(\?[a-zA-Z]+\)|\[[^\]]*\]", " ", s
        ).lower()
        out.update(w for w in re.findall(r"[a-z]+", s) if len(w) >= 3)
        out.update(w for w in re.findall(r"[a-z0-9]+", s) if len(w) >= 2 and re.search(r"[a-z]", w))
    return frozenset(out)


def cjk_pairs_of(strings: Iterable[str]) -> frozenset[str]:
    """Every two adjacent Chinese characters in ``strings`` (rule terms and patterns)."""
    out: set[str] = set()
    for s in strings:
        for run in re.findall(f"[{_CJK_CLASS}]{{2,}}", s):
            out.update(run[i : i + 2] for i in range(len(run) - 1))
    return frozenset(out)


class Normalizer:
    """The pipeline of the module docstring, guided by the rule words (stages 4–7) and the
    pairs of adjacent Chinese characters of the rule terms (stage 3)."""

    def __init__(self, words: Iterable[str] = (), cjk_pairs: Iterable[str] = ()) -> None:
        self.words = frozenset(words) | FUNCTION_WORDS
        self.cjk_pairs = frozenset(cjk_pairs)

    # -- rule words ------------------------------------------------------------------------
    def is_word(self, w: str) -> bool:
        """Is ``w`` a rule word, or one with a simple inflection (``cures``, ``curing``)?"""
        if w in self.words:
            return True
        for suf in _SUFFIXES:
            if w.endswith(suf) and len(w) - len(suf) >= 3:
                stem = w[: -len(suf)]
                if stem in self.words or (suf in ("ing", "ed", "er") and stem + "e" in self.words):
                    return True
        return False

    def segment(self, w: str) -> list[int] | None:
        """Split points making ``w`` a sequence of rule words (fewest words), or ``None``."""
        n = len(w)
        best: list[list[int] | None] = [None] * (n + 1)
        best[0] = []
        for i in range(1, n + 1):
            for j in range(max(0, i - 30), i):
                prev = best[j]
                if prev is None:
                    continue
                part = w[j:i]
                if (len(part) >= 3 and self.is_word(part)) or part in FUNCTION_WORDS:
                    cand = [*prev, j] if j else []
                    cur = best[i]
                    if cur is None or len(cand) < len(cur):
                        best[i] = cand
        return best[n]

    def readings(self, token: str) -> Iterable[str]:
        """Every way of reading the swappable characters of ``token`` as letters."""
        options = [SWAPS.get(c, c) for c in token]
        for k, combo in enumerate(itertools.product(*options)):
            if k >= _MAX_READINGS:
                return
            yield "".join(combo)

    # -- stages ----------------------------------------------------------------------------
    def _unicode(self, text: str) -> tuple[str, Sequence[int] | None]:
        if text.isascii():
            return text.lower(), None
        t = text.translate(_TABLE)
        if _TABLE.irregular.isdisjoint(text):
            return t, None
        out: list[str] = []
        idx: list[int] = []
        for i, ch in enumerate(text):
            s = _TABLE[ord(ch)]
            out.append(s)
            idx.extend([i] * len(s))
        return "".join(out), idx

    def _cjk_gap(self, m: re.Match[str]) -> Edit:
        t = m.string
        s, e = m.start(), m.end()
        left_alone = s < 2 or not _CJK_CHAR.match(t, s - 2)
        right_alone = e + 1 >= len(t) or not _CJK_CHAR.match(t, e + 1)
        if left_alone or right_alone or t[s - 1] + t[e] in self.cjk_pairs:
            return []
        return None

    def _spaced(self, m: re.Match[str]) -> Edit:
        s = m.start()
        items = [(ch, s + k) for k, ch in enumerate(m.group(0)) if re.match(_ITEM, ch)]
        word = "".join(ch for ch, _ in items)
        if len(_LETTERS.findall(word)) < 2:
            return None
        for reading in itertools.chain([word], self.readings(word)):
            if self.is_word(reading):
                return [(ch, j) for ch, (_c, j) in zip(reading, items, strict=True)]
            cuts = self.segment(reading)
            if cuts:
                out: list[tuple[str, int]] = []
                for k, (ch, (_c, j)) in enumerate(zip(reading, items, strict=True)):
                    if k in cuts:
                        out.append((" ", j - 1))  # the separator before this letter
                    out.append((ch, j))
                return out
        return [(ch, j) for ch, j in items]

    def _known(self, piece: str) -> bool:
        return piece in FUNCTION_WORDS or (len(piece) >= 3 and self.is_word(piece))

    def _punct_word(self, m: re.Match[str]) -> Edit:
        s = m.start()
        letters = [(ch, s + k) for k, ch in enumerate(m.group(0)) if "a" <= ch <= "z"]
        word = "".join(ch for ch, _ in letters)
        if self.is_word(word):
            return letters
        pieces = _WORD.findall(m.group(0))
        if max(map(len, pieces)) > 3 or all(self._known(p) for p in pieces):
            # a compound ("spin-to-win", "homemade-style") or an address ("www.best-deals.com"):
            # only a word chopped into short pieces ("an.ti-an.xi.e.ty") is re-segmented
            return None
        cuts = self.segment(word)
        if not cuts:
            return None
        out: list[tuple[str, int]] = []
        for k, (ch, j) in enumerate(letters):
            if k in cuts:
                out.append((" ", j - 1))  # the punctuation before this letter
            out.append((ch, j))
        return out

    def _split_words(self, t: str, offs: Sequence[int] | None) -> tuple[str, Sequence[int] | None]:
        """Stage 5b: a word broken by single spaces ("imm un e", "te le gram") is joined
        when a piece is not a word itself and the joined word (5+ letters) is a rule word."""
        pieces = [m.start() for m in _PIECE.finditer(t) if not self._known(m.group(0))]
        if not pieces:
            return t, offs
        tokens = [(m.start(), m.end()) for m in _WORD.finditer(t)]
        at = {a: k for k, (a, _b) in enumerate(tokens)}
        drop: set[int] = set()
        done = -1
        for start in pieces:
            i = at.get(start, -1)
            if i <= done:
                continue
            best: tuple[int, int] | None = None
            for lo in range(max(0, i - 2), i + 1):
                for hi in range(i, min(len(tokens), lo + 3)):
                    if hi == lo or any(
                        tokens[k + 1][0] != tokens[k][1] + 1 or t[tokens[k][1]] != " "
                        for k in range(lo, hi)
                    ):
                        continue
                    joined = "".join(t[x:y] for x, y in tokens[lo : hi + 1])
                    longer = best is None or hi - lo > best[1] - best[0]
                    if longer and len(joined) >= 5 and self.is_word(joined):
                        best = (lo, hi)
            if best is None:
                continue
            drop.update(tokens[k][1] for k in range(best[0], best[1]))
            done = best[1]
        if not drop:
            return t, offs
        keep = [j for j in range(len(t)) if j not in drop]
        text = "".join(t[j] for j in keep)
        return text, keep if offs is None else [offs[j] for j in keep]

    def _swap(self, m: re.Match[str]) -> Edit:
        token = m.group(0)
        if token in self.words or len(token) > 30:
            return None
        swapped = [c for c in token if not ("a" <= c <= "z")]
        if any(c not in SWAPS for c in swapped):
            return None  # another digit: a size or code ("b12", "covid19")
        n_letters = len(token) - len(swapped)
        if n_letters < 2 or n_letters < len(swapped):
            return None
        t, s, e = m.string, m.start(), m.end()
        if (e + 1 < len(t) and t[e] == "-" and t[e + 1].isdigit()) or (
            s >= 2 and t[s - 1] == "-" and t[s - 2].isdigit()
        ):
            return None  # a model number: B0X-12
        for reading in self.readings(token):
            if reading != token and self.is_word(reading):
                return [(ch, s + k) for k, ch in enumerate(reading)]
        return None

    def normalize(self, text: str) -> Normalized:
        """Run the pipeline; see the module docstring."""
        t, offs = self._unicode(text)
        if not t.isascii():
            t, offs = edit(t, offs, _IN_WORD_SYMBOLS, lambda m: [])
            if _CJK_CHAR.search(t):
                t, offs = edit(t, offs, _CJK_GAP, self._cjk_gap)
        t, offs = edit(t, offs, _SPACED, self._spaced)
        if _SHORT_PIECE.search(t):
            t, offs = self._split_words(t, offs)
        t, offs = edit(t, offs, _PUNCT_WORD, self._punct_word)
        t, offs = edit(t, offs, _SWAP_TOKEN, self._swap)
        return Normalized(t, text, offs)


__all__ = [
    "FUNCTION_WORDS",
    "SWAPS",
    "Normalized",
    "Normalizer",
    "edit",
    "fold_separators",
    "words_of",
]
