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


class OutOfStock(StockError):
    """Some lines cannot be served by the chosen store; ``shortages`` maps variant id to units available."""

    def __init__(self, *, shortages: dict[int, int], names: dict[int, str] | None = None):
        names = names or {}
        parts = [
            _("%(name)s: only %(available)s left") % {"name": names.get(vid, vid), "available": available}
            for vid, available in shortages.items()
        ]
        super().__init__(_("Not enough stock. %(details)s") % {"details": "; ".join(parts)})
        self.shortages = shortages
