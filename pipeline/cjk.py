"""Chinese text: the one home of the Han character class and CJK punctuation.

A leaf module (imports only ``re``): segmentation, the DOCX writer, QA and the glossary
all decide "is this Chinese?" with the same class.
"""

from __future__ import annotations

import re

# CJK Unified Ideographs + extension A and compatibility ideographs (the BMP part) ...
HAN_BMP = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# ... + extensions B..F (supplementary plane: 𠀀 U+20000 .. U+2EBEF).
HAN = HAN_BMP + r"\U00020000-\U0002ebef"
HAN_RE = re.compile(f"[{HAN}]")

# Full-width forms (！..～), full-width currency signs, ideographic space and CJK
# punctuation (、。〈〉《》「」『』【】〔〕〖〗〘〙〚〛〜〝〞〟). “” ‘’ are fine in English.
FULLWIDTH = "\uff01-\uff5e\uffe0-\uffe6\u3000-\u3003\u3008-\u301f"
FULLWIDTH_RE = re.compile(f"[{FULLWIDTH}]")

# Everything written in a CJK script or CJK-width: radicals, CJK punctuation, kana,
# bopomofo, Han (BMP), compatibility and vertical forms, half/full-width forms. The
# memory's lookup key drops a space next to any of them (a changed set changes keys).
CJK_WIDE = ("\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u31ef\u3400-\u4dbf"
            "\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef")


def has_chinese(text: str) -> bool:
    """True when ``text`` has at least one Han character."""
    return HAN_RE.search(text) is not None
