"""Exceptions raised by territorial.

Every error names what is wrong and how to fix it. Data problems are ``ValueError``
subclasses, wrong argument types are ``TypeError``.
"""

from __future__ import annotations


class TerritorialError(Exception):
    """Base class of the errors that territorial raises about user data."""


class SchemeError(TerritorialError, ValueError):
    """A territory scheme does not assign every commune of 59/62 exactly once.

    Attributes
    ----------
    missing, duplicated, unknown : list of str
        INSEE codes without a territory, with several, and not in 59/62 today.
    """

    def __init__(self, message: str, *, missing=(), duplicated=(), unknown=()):
        super().__init__(message)
        self.missing = list(missing)
        self.duplicated = list(duplicated)
        self.unknown = list(unknown)


class InputFileError(TerritorialError, ValueError):
    """An input file cannot be read or lacks what is needed."""


class ArgumentError(TerritorialError, ValueError):
    """An option names something that does not exist (an indicator, a column)."""


class ExistingFileError(InputFileError, FileExistsError):
    """A target file exists and overwriting was not asked for."""
