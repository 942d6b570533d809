"""The one error type Dojo reports to users as a single line (the CLI exits 2 on it)."""


class DojoError(Exception):
    """A problem with the user's input: bad arguments, unknown names, unusable checkpoints."""
