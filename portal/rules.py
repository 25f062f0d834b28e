"""The exception a domain service raises when a rule refuses a request."""


class Refused(Exception):
    """A rule of the portal refuses this request. The message is shown to the person as it is.

    `field` names the form field the message belongs to, when there is one.
    """

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
