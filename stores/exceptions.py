from django.utils.translation import gettext as _


class StockError(Exception):
    """A stock change that would break a rule; ``message`` is safe to show."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotEnoughStock(StockError):
    def __init__(self, *, available: int, requested: int):
        super().__init__(_("Only %(available)s left; %(requested)s requested.") % {
            "available": available, "requested": requested,
        })
        self.available = available
        self.requested = requested
