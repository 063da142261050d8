"""Start the real LibreTranslate server offline, for the tests.

ONE part is replaced, and only this one: LibreTranslate's sentence splitter (MiniSBD)
downloads an ONNX model at its first translation, which fails without internet (the
server answers 500). Here it splits at Chinese and Latin sentence ends with a regex
instead. Everything else (the HTTP API, limits, API keys, Argos/CTranslate2
translation) is LibreTranslate's own code, run by its own ``main``.

Usage: python lt_offline.py [libretranslate options...] (run with the LibreTranslate
venv's Python).
"""

import re
import sys

from argostranslate import sbd

_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])")


def _split_sentences(self, text):  # replaces MiniSBDSentencizer.split_sentences
    return [s for s in _SENTENCE_END.split(text) if s.strip()] or [text]


sbd.MiniSBDSentencizer.split_sentences = _split_sentences

from libretranslate.main import main  # noqa: E402  (after the splitter is replaced)

if __name__ == "__main__":
    sys.exit(main())
