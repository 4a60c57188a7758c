"""Domain errors the member pages and the admin can show; ``message`` is safe to display."""

from django.utils.translation import gettext as _

from shop.money import format_money as money


class MemberError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotEnoughPoints(MemberError):
    def __init__(self, *, have: int, need: int):
        super().__init__(
            _("You have %(have)s points, not enough for %(need)s.") % {"have": have, "need": need}
        )
        self.have = have
        self.need = need


class NotEnoughBalance(MemberError):
    def __init__(self, *, have, need):
        super().__init__(
            _("Your wallet balance is %(have)s, not enough for %(need)s.") % {"have": money(have), "need": money(need)}
        )
        self.have = have
        self.need = need


class TopUpError(MemberError):
    pass


class ErasureNotYet(MemberError):
    """The member cannot be erased yet: the shop still owes them money or goods (see anonymise_member)."""

    def __init__(self, reasons: list[str]):
        super().__init__(" ".join(reasons))
        self.reasons = reasons


class ReferralError(MemberError):
    pass
