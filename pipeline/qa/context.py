"""QA constants, the check context and the check registry (``CHECKS``, ``@check``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..cjk import HAN
from ..document import Severity, TermHit
from ..errors import InputError

if TYPE_CHECKING:
    from ..glossary import Glossary

# --------------------------------------------------------------------------------------
# Character classes

# The Han class and full-width punctuation (HAN, HAN_RE, FULLWIDTH_RE): pipeline.cjk

# Length of English per Chinese character (ASCII copied from the source subtracted;
# greetings such as 您好 left out), measured on real pairs with 8+ Chinese characters:
# demo_model/corpus.tsv and the good appeals of tests/qa_eval, 438 pairs (`python
# bench/qa_eval.py --ratios`). By source length: 8-15 characters min 2.00, median 3.69;
# 16-31 min 2.00, median 3.71; 32+ min 2.91, median 3.67; max 6.18. By clauses (split at
# ，；：): one clause min 2.00; two or more clauses min 2.62, 5th percentile 2.91. So a
# single-clause English below RATIO_BOUNDS[0] is a warning (length-ratio), and a
# multi-clause source whose English is below REAL_MIN, or below CLAUSE_FLOOR with fewer
# clauses, is an error (dropped-clause).
RATIO_BOUNDS = (1.6, 8.0)
RATIO_MIN_HAN = 8  # shorter sources vary too much to judge
CLAUSE_FLOOR = 2.3
REAL_MIN = 2.0  # no real pair of 8+ Chinese characters is shorter
MULTI_CLAUSE_MIN = 2.6  # no real pair with a source of 2+ clauses is shorter (2.62)
RATIO_MEDIAN = 3.7
_ZH_QUOTE_RE = re.compile(f"[“「『\"][^”」』\"]*[{HAN}][^”」』\"]*[”」』\"]")
_EN_QUOTE_RE = re.compile("[“”\"‘’«»]|(?<![A-Za-z])'|'(?![A-Za-z])")


# --------------------------------------------------------------------------------------
# The registry


@dataclass
class QAContext:
    """What a check may need besides the two texts. Every field is optional."""

    glossary: Glossary | None = None  # for detect / wrong_renderings_in
    terms: list[TermHit] | None = None  # terms already detected in the source (protect step)
    ratio_bounds: tuple[float, float] = RATIO_BOUNDS
    # Report-only grammar checker for reviewed English (a GrammarReport), or None.
    grammar: Callable[[str], list[str]] | None = None


CheckFunc = Callable[[str, str, QAContext], list[str]]


@dataclass(frozen=True)
class Check:
    name: str
    severity: Severity
    func: CheckFunc
    description: str = ""
    # False: the check also runs on passthrough (non-Chinese) segments, whose "English"
    # is the source itself. Comparisons between source and English make no sense there.
    compares: bool = True


CHECKS: list[Check] = []


def check(name: str, severity: Severity, description: str,
          compares: bool = True) -> Callable[[CheckFunc], CheckFunc]:
    """Register ``func`` as a check (decorator)."""

    def register(func: CheckFunc) -> CheckFunc:
        CHECKS.append(Check(name, severity, func, description, compares))
        return func

    return register


def check_names() -> list[str]:
    return [c.name for c in CHECKS]


def get_checks(names: Iterable[str] | None = None) -> list[Check]:
    """The checks named (all when None), in registry order; unknown names are an error."""
    if names is None:
        return list(CHECKS)
    wanted = list(names)
    known = {c.name for c in CHECKS}
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise InputError(f"unknown QA check {unknown[0]!r} (known: {', '.join(check_names())})")
    return [c for c in CHECKS if c.name in wanted]

