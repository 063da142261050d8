"""One parser for the language codes TMX and TBX files carry.

CAT tools write Chinese and English in many ways: ``zh``, ``zh-CN``, ``zh_cn``,
``zh-Hans``, ``zh-Hans-CN``, ``zho``, ``chi``, ``cmn``, ``cmn-Hans``, Microsoft's old
``zh-CHS``/``zh-CHT``, ``zh-TW``, ``zh-HK``, ``zh-Hant``; ``en``, ``en-US``, ``en-GB``,
``eng``... ``parse_lang`` reads any of them (case-insensitive, ``-`` or ``_``) into a
``Lang``: the language (``zh``, ``en`` or the primary subtag as written), the script
(``Hans``/``Hant``, explicit or implied by the region) and the region.

The pipeline translates Simplified Chinese into (US) English, so ``source_rank`` and
``target_rank`` say how well a code fits each side: zh-CN / zh-Hans first, then plain
zh, then other Simplified regions; en-US first, then plain en, then other English
locales. Traditional Chinese is never ranked as the source: it is a locale variant
(``Lang.traditional``) that importers keep, convert or report, never drop silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CHINESE = {"zh", "zho", "chi", "cmn"}  # ISO 639-1, 639-2/T, 639-2/B, Mandarin (639-3)
_ENGLISH = {"en", "eng"}
_HANS_REGIONS = {"CN", "SG", "MY"}
_HANT_REGIONS = {"TW", "HK", "MO"}
_OLD_MS = {"CHS": "Hans", "CHT": "Hant"}  # .NET's zh-CHS / zh-CHT


@dataclass(frozen=True)
class Lang:
    """A parsed language code. ``code`` is the text as written in the file."""

    code: str
    language: str  # "zh", "en", or the primary subtag (lower case) of anything else
    script: str = ""  # "Hans" / "Hant" for Chinese (explicit or implied by the region)
    region: str = ""  # "CN", "TW", "US", "GB"... (upper case)

    @property
    def is_zh(self) -> bool:
        return self.language == "zh"

    @property
    def is_en(self) -> bool:
        return self.language == "en"

    @property
    def traditional(self) -> bool:
        """Chinese written in Traditional characters (zh-TW, zh-HK, zh-MO, zh-Hant...)."""
        return self.is_zh and self.script == "Hant"

    @property
    def source_rank(self) -> int | None:
        """How well this fits the Chinese (Simplified) side, 0 best; None: it does not."""
        if not self.is_zh or self.traditional:
            return None
        if self.script == "Hans" and self.region in ("", "CN"):
            return 0  # zh-CN, zh-Hans, zh-Hans-CN, cmn-Hans
        if not self.script and not self.region:
            return 1  # plain zh / zho / chi / cmn
        return 2  # zh-SG, zh-MY

    @property
    def target_rank(self) -> int | None:
        """How well this fits the English (US) side, 0 best; None: not English."""
        if not self.is_en:
            return None
        if self.region == "US":
            return 0
        return 1 if not self.region else 2  # en, then en-GB / en-AU / en-IN...

    def __str__(self) -> str:
        return self.code


def parse_lang(code: str | None) -> Lang | None:
    """Parse an xml:lang / lang value; None when it is empty."""
    text = (code or "").strip()
    if not text:
        return None
    parts = [p for p in re.split(r"[-_]", text) if p]
    if not parts:
        return None
    primary = parts[0].lower()
    language = "zh" if primary in _CHINESE else "en" if primary in _ENGLISH else primary
    script = region = ""
    for sub in parts[1:]:
        if len(sub) == 4 and sub.isalpha():
            script = script or sub.title()
        elif (len(sub) == 2 and sub.isalpha()) or (len(sub) == 3 and sub.isdigit()):
            region = region or sub.upper()
        elif sub.upper() in _OLD_MS and language == "zh":
            script = script or _OLD_MS[sub.upper()]
    if language == "zh" and not script:
        if region in _HANT_REGIONS:
            script = "Hant"
        elif region in _HANS_REGIONS:
            script = "Hans"
    return Lang(text, language, script, region)


def best(langs: list[Lang], side: str) -> int | None:
    """Index of the best code for ``side`` ("source" or "target"), first one on ties."""
    ranks = [(lang.source_rank if side == "source" else lang.target_rank, i)
             for i, lang in enumerate(langs)]
    fitting = [(r, i) for r, i in ranks if r is not None]
    return min(fitting)[1] if fitting else None
