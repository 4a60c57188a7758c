"""Domain errors the order pages can show; ``message`` is safe to display."""

from django.utils.translation import gettext as _

from shop.money import format_money as money


class OrderError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class CartError(OrderError):
    pass


class CheckoutError(OrderError):
    pass


class PricesChanged(CheckoutError):
    def __init__(self, *, expected, actual):
        super().__init__(
            _("The total is now %(actual)s instead of %(expected)s (a price or your choices changed). Please check it and place the order again.")
            % {"actual": money(actual), "expected": money(expected)}
        )
        self.expected = expected
        self.actual = actual


class AmountDueChanged(PricesChanged):
    """The total is as shown but what is left to pay after stored value is not (the wallet changed)."""

    def __init__(self, *, expected, actual):
        CheckoutError.__init__(
            self,
            _("The amount left to pay is now %(actual)s instead of %(expected)s (your stored value changed). Please check it and place the order again.")
            % {"actual": money(actual), "expected": money(expected)},
        )
        self.expected = expected
        self.actual = actual


class IllegalTransition(OrderError):
    def __init__(self, *, order, to):
        super().__init__(
            _("Order %(number)s cannot go from “%(from)s” to “%(to)s”.")
            % {"number": order.number, "from": order.get_status_display(), "to": order.Status(to).label}
        )
        self.from_status = order.status
        self.to_status = to


class PaymentError(OrderError):
    pass


class RefundError(OrderError):
    pass
