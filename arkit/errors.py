"""Errors arkit raises for a user's input (never a traceback for a user's mistake)."""

from __future__ import annotations


class LedgerError(Exception):
    """Unusable or (in strict mode) invalid input.

    The message is one clear sentence naming the file and, where known, the row and column.
    ``problems`` holds the individual problems (a DataFrame in quarantine layout) when there are several.
    """

    def __init__(self, message: str, *, problems=None):
        super().__init__(message)
        self.problems = problems


class ConfigError(LedgerError):
    """A mapping or policy file is wrong: the message names the file and key and what was expected."""
