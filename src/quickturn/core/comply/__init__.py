"""Compliance (合规): rules as data, checked against listings, content, promotions and documents.

Data flow (all pure; the service layer does the IO):

* :mod:`~quickturn.core.comply.ruleset` parses rule files (YAML text) into a
  :class:`~quickturn.core.comply.ruleset.RuleSet` and lays user files over the packaged one;
* :mod:`~quickturn.core.comply.normalize` undoes sellers' obfuscation (full-width, zero-width,
  spaced letters, digit swaps, spaced and traditional Chinese…) before matching, keeping a
  map back to the original text;
* :mod:`~quickturn.core.comply.text` compiles the text rules (one Aho-Corasick automaton
  plus the regexes rules need) and checks
  :class:`~quickturn.core.comply.text.TextItem` records (listing title/description, video
  caption/script, LIVE script, promotion text) → findings with evidence spans;
* :mod:`~quickturn.core.comply.documents` checks the ``skus`` attributes against the
  ``certificates`` table as of ``today`` → document findings per SKU;
* :mod:`~quickturn.core.comply.templated` finds US scripts that are near-duplicates of the
  seller's scripts for other markets (shingles → MinHash → LSH → Jaccard);
* :mod:`~quickturn.core.comply.findings` builds the bilingual
  :class:`~quickturn.errors.Finding` records.

The packaged rules live in ``rules/us.yaml`` next to this file.
"""
