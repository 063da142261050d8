"""The one language-code parser TMX and TBX import share (issue #18, points 3 and 7)."""

from __future__ import annotations

import pytest

from pipeline.langcode import best, parse_lang


@pytest.mark.parametrize("code, language, script, region", [
    ("zh", "zh", "", ""), ("ZH-cn", "zh", "Hans", "CN"), ("zh_CN", "zh", "Hans", "CN"),
    ("zh-Hans", "zh", "Hans", ""), ("zh-Hans-CN", "zh", "Hans", "CN"),
    ("zho", "zh", "", ""), ("chi", "zh", "", ""), ("cmn", "zh", "", ""),
    ("cmn-Hans", "zh", "Hans", ""), ("zh-TW", "zh", "Hant", "TW"),
    ("zh-HK", "zh", "Hant", "HK"), ("zh-Hant", "zh", "Hant", ""),
    ("zh-Hant-TW", "zh", "Hant", "TW"), ("zh-CHS", "zh", "Hans", ""),
    ("zh-CHT", "zh", "Hant", ""), ("zh-SG", "zh", "Hans", "SG"),
    ("en", "en", "", ""), ("en-US", "en", "", "US"), ("EN-gb", "en", "", "GB"),
    ("eng", "en", "", ""), ("en_IN", "en", "", "IN"), ("fr-FR", "fr", "", "FR"),
])
def test_parse(code: str, language: str, script: str, region: str) -> None:
    lang = parse_lang(code)
    assert lang is not None
    assert (lang.language, lang.script, lang.region) == (language, script, region)
    assert lang.traditional == (script == "Hant")


def test_preferences() -> None:
    assert parse_lang("") is None and parse_lang(None) is None
    langs = [parse_lang(c) for c in ("zh-TW", "zh", "en-GB", "zh-CN", "en", "en-US")]
    assert best(langs, "source") == 3  # zh-CN over zh; zh-TW is never the source
    assert best(langs, "target") == 5  # en-US over en over en-GB
    assert best([parse_lang("zh-HK")], "source") is None
    assert best([parse_lang("cmn-Hans"), parse_lang("zho")], "source") == 0
