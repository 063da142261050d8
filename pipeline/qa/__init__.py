"""QA checks on each segment's English, plus the document-level Plan-of-Action check.

Each check is a small named function with a severity (like translate-toolkit's checks):
``func(source, target, ctx) -> list[str]`` returns one message per problem, an empty list
when the pair passes. ``CHECKS`` is the registry; ``QAStep`` runs them over a Document and
turns every message into a ``Note(code=check.name, step="qa")``.

Numbers are compared as *values*, with Chinese forms understood: 2026年10月15日 equals
"October 15, 2026", "2026-10-15" and "15 October 2026"; 1.5万 equals 15,000; 两个 equals
"two"/"2"; 3倍 equals "3 times"/"threefold"; 85%以上 equals "over 85%". Only numbers the
reader would miss are *required* in the English (digits, and Chinese numerals of 2 or more
with a measure word: 一个 is usually just "a"); English number words only count as
matches, never as extras, because "one" is often a pronoun. A missing number in digits is
an error (number-mismatch); one only in Chinese numerals is a warning (numeral-mismatch).
Seller jargon with a numeral in it (五点描述, 一件代发, 三包, 一对一: ``FIXED_EXPRESSIONS``)
is not a quantity at all.

Term checks use :meth:`pipeline.glossary.Glossary.term_problems`, the same logic as the
glossary step (word forms, ``allowed`` alternatives). The grammar check (Harper, report
only) runs on reviewed English; machine English has been through the grammar step.

Modules: ``analysis`` (``analyze``),
``context`` (constants, ``QAContext``, the registry), ``checks`` (the named checks),
``step`` (``run_checks``, ``QAStep``, ``summarize``), ``poa`` (document-level checks).
"""

from ..cjk import HAN_RE
from ..quantities import parse_chinese_int, parse_english_words
from .analysis import analyze
from .checks import clause_counts, length_ratio
from .context import CHECKS, Check, QAContext, check_names, get_checks
from .step import QAStep, run_checks, summarize

__all__ = ["CHECKS", "HAN_RE", "Check", "QAContext", "QAStep", "analyze", "check_names",
           "clause_counts", "get_checks", "length_ratio", "parse_chinese_int",
           "parse_english_words", "run_checks", "summarize"]
