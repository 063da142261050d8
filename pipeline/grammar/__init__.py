"""The grammar step: post-edit rules, then a grammar checker, with only safe fixes applied.

The package, in pipeline order:

* :mod:`.backends` -- Harper (in-process, default), a LanguageTool server, or none behind one
  ``check(text) -> [Finding]`` interface; the rule tables; the file-descriptor stdout guard.
* :mod:`.guards` -- spans no edit may touch (URLs, digits, inner capitals, acronyms, glossary
  words) and where a sentence starts.
* :mod:`.spelling` -- spelling candidates ranked by word frequency and neighbouring words.
* :mod:`.edits` -- which findings become edits (the allow-lists) or notes, applying edits,
  the check-again passes, many texts per backend call.
* :mod:`.step` -- :class:`GrammarStep`, :func:`polish_text`, :func:`polish_texts`.

Every name other modules and tests import from ``pipeline.grammar`` is re-exported here.
"""

from __future__ import annotations

from .backends import (  # noqa: F401
    BACKENDS,
    BUILTIN_WORDS,
    ENV_URL,
    HARPER_AUTO,
    LANGUAGETOOL_AUTO,
    LANGUAGETOOL_TIMEOUT_S,
    MAX_PASSES,
    STEP,
    BackendUnavailable,
    Finding,
    GrammarBackend,
    HarperBackend,
    LanguageToolBackend,
    NoneBackend,
    _harper_linter,
    harper_words,
    index_to_utf16,
    quiet_stdout,
    utf16_to_index,
)
from .edits import (  # noqa: F401
    BATCH_CHARS,
    apply_edits,
    check_many,
    correct,
    correct_many,
    plan_edits,
)
from .guards import (  # noqa: F401
    at_sentence_start,
    guarded_spans,
)
from .spelling import (  # noqa: F401
    COMMON_WORD,
    CONTEXT_WEIGHT,
    SPELL_EDIT_COST,
    SPELL_MARGIN,
    capitalization_ok,
    capitalize_start,
    in_context,
    spelling_candidates,
    spelling_fix,
)
from .step import (  # noqa: F401
    GrammarStep,
    polish_text,
    polish_texts,
)
