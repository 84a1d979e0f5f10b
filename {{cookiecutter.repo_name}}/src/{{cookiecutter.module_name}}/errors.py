"""The one kind of error a command answers with one line: a refusal.

Bad input, a missing model or run, an untrusted model: every such error derives from
:class:`RefusedError`, says what is wrong and how to fix it, and the command line prints it
as one ``error:`` line with exit status 2. Any other exception is a bug, shown in full.
"""


class RefusedError(Exception):
    """A command will not go on; the message says why and how to proceed."""
