"""Errors of the command line: a user mistake is reported as one line, never a traceback."""


class UsageError(Exception):
    """A mistake in the command's arguments or inputs (reported with exit status 2)."""
