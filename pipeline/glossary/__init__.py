"""The glossary: Amazon Seller Central terms, found in Chinese, enforced in English.

A glossary is a UTF-8 TSV file (see docs/glossary.md) of entries: Chinese variants,
one canonical English form, an optional acronym, wrong English renderings to replace,
a priority and a note. This package

* loads and validates glossary files (``load_glossaries``), a user file overriding the
  built-in ``glossaries/amazon.tsv`` entry by entry;
* finds terms in Chinese source text (``Glossary.detect``; the protect step masks them);
* rewrites wrong renderings in English (``Glossary.fix_renderings``);
* runs the ``enforce`` step after translation (``EnforceStep``): normalisation, acronym
  first/later mentions, and term-check notes.

Modules: ``terms`` (``Term``), ``tsv`` (loading, validation, encodings, ``format_tsv``),
``matcher`` (detection trie, ``term_problems``), ``normalizer``, ``core`` (``Glossary``),
``enforce`` (``EnforceStep``), ``tbx`` (TBX import/export).
"""

from .core import Glossary
from .encoding import detect_encoding, file_encoding
from .enforce import EnforceStep
from .matcher import TermProblem, rendering_re
from .normalizer import fix_renderings_text
from .terms import STEP, Term, zh_key
from .tsv import (
    add_simplified_variants,
    builtin_glossary,
    builtin_path,
    format_tsv,
    import_tbx_to_tsv,
    load_glossaries,
    merge_terms,
    parse_glossary,
    read_glossary_file,
    sanitize_terms,
)

__all__ = ["STEP", "EnforceStep", "Glossary", "Term", "TermProblem", "add_simplified_variants",
           "builtin_glossary", "builtin_path", "detect_encoding", "file_encoding", "format_tsv",
           "import_tbx_to_tsv",            "load_glossaries", "merge_terms", "fix_renderings_text", "parse_glossary",
           "read_glossary_file", "rendering_re", "sanitize_terms", "zh_key"]
