"""Import alias kept only for ``grammar.py``, ``postedit.py`` and ``tests/test_grammar.py``
(another branch owns them): the data model is ``pipeline.document``. Remove this file once
they import from ``.document``."""

from .document import *  # noqa: F403
from .document import Change, Document, Note, Severity  # noqa: F401
