"""Refusals any app's services share, defined here, below every domain app, so that an
engine such as linkage can raise one without importing the app that shows it."""


class FieldErrors(Exception):
    """The request breaks one or more rules; nothing was written. `errors` maps each
    field to a message that says how to put it right; a page shows each beside its field
    (or, for a field it does not have, in the error summary)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors
