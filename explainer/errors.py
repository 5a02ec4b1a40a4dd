"""The library's one error family.

Every problem a person can cause (a bad option, a malformed file, a size that would take
hours, a place that cannot be written) raises an :class:`ExplainerError` whose message is
a single sentence a learner can act on. The command prints that sentence and exits with
status 2; library callers catch the class (or one of its subclasses) like any
``ValueError``.
"""

from __future__ import annotations


class ExplainerError(ValueError):
    """Base class of every error the explainer raises on purpose."""


class ProblemError(ExplainerError):
    """The image, kernel or an option does not describe a valid convolution."""


class InputFileError(ExplainerError):
    """A file given as image or kernel cannot be read as numbers."""


class TooLargeError(ExplainerError):
    """The request would exhaust memory or take far too long; the message says the limit."""


class OutputError(ExplainerError):
    """A result cannot be written where it was asked to go (a device, a folder, a full disk)."""


class ExplainerWarning(UserWarning):
    """Input was accepted, but something was lost or assumed on the way (e.g. float rounding)."""
