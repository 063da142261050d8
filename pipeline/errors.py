"""Errors the CLI turns into one clear line and an exit code (never a traceback)."""

from __future__ import annotations


class PipelineError(Exception):
    """Base class: ``str(err)`` is the one line shown to the user."""

    exit_code = 2


class InputError(PipelineError):
    """The input file (or an option) is bad: missing, not DOCX, corrupt, refused."""


class OutputError(PipelineError):
    """An output cannot be written (folder unwritable, exists without --force)."""


class GlossaryError(InputError):
    """A glossary file is invalid; the message names file and line."""


class ModelError(PipelineError):
    """No usable translation model, or a model package cannot be installed."""


class EngineError(PipelineError):
    """The translation engine failed as a whole (e.g. no LibreTranslate server answered)."""
