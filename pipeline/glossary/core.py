"""The ``Glossary``: terms plus the matchers built once from them."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence

from .matcher import Matcher
from .normalizer import Normalizer
from .terms import Term


class Glossary(Matcher, Normalizer):
    """Terms plus the matchers built once from them (detection trie, English regexes)."""

    def __init__(self, terms: Sequence[Term], name: str = "") -> None:
        self.terms: list[Term] = list(terms)
        self.name = name or f"custom ({len(self.terms)} terms)"
        self.version = self._content_hash()
        self._build_detector()
        self._build_normalizer()
        self._en_patterns: dict[str, re.Pattern[str]] = {}

    def __len__(self) -> int:
        return len(self.terms)

    def __repr__(self) -> str:
        return f"Glossary({self.name!r}, {len(self.terms)} terms, version {self.version})"

    def _content_hash(self) -> str:
        # What changes output only (not notes, not file/line): the memory keys on this.
        data = [[list(t.zh_variants), t.canonical, t.acronym, list(t.wrong_renderings),
                 list(t.flag_renderings), t.priority, t.plural] for t in self.terms]
        # v2: plural forms (and the "a name has no plural" rule) change output.
        blob = json.dumps(["glossary-v2", data], ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha1(blob.encode("utf-8")).hexdigest()[:12]

