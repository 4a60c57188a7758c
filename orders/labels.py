"""Receipt descriptions of adjustments, rendered in the reader's language where they are shown.

The pricing pipeline and the stored order keep only a kind and its figures
(``params``); this module turns them into words, so a receipt reads in the
language of whoever looks at it and an email in the language it is sent in.
"""

from decimal import Decimal

from django.utils.translation import gettext as _

from shop.money import format_money


def adjustment_label(kind: str, params: dict) -> str:
    """The description of an adjustment of ``kind`` with ``params``; unknown kinds show the kind."""
    render = _RENDERERS.get(kind)
    if render is None:
        return kind
    try:
        return render(params or {})
    except (KeyError, TypeError, ValueError):
        # An adjustment stored by an older version without its figures: the kind's own name.
        from orders.models import OrderAdjustment

        return OrderAdjustment.Kind(kind).label if kind in OrderAdjustment.Kind.values else kind


def _tier(params):
    percent = Decimal(str(params["percent"])).normalize()
    return _("%(tier)s member discount %(percent)s%%") % {"tier": params["tier"], "percent": f"{percent:f}"}


def _shipping(params):
    return params.get("method") or _("Shipping")


def _shipping_discount(params):
    if params.get("coupon"):
        return _("Coupon %(code)s: free shipping") % {"code": params["coupon"]}
    amount = format_money(Decimal(str(params["free_over"])))
    if params.get("promotion"):
        return _("%(promotion)s: free shipping from %(amount)s") % {"promotion": params["promotion"], "amount": amount}
    if params.get("tier"):
        return _("%(tier)s members: free shipping from %(amount)s") % {"tier": params["tier"], "amount": amount}
    return _("Free shipping on orders from %(amount)s") % {"amount": amount}


def _points(params):
    return _("%(points)s points") % {"points": params["points"]}


def _floor(params):
    return _("Discount limited to the order value")


def _promotion(params):
    # Marketing stores the promotion's name as shown when the order was placed; the figures say what it did.
    name = params["name"]
    if params.get("gift"):
        if not params.get("gift_in_stock", 1):
            return _("%(name)s: the gift %(gift)s is out of stock") % {"name": name, "gift": params["gift"]}
        return _("%(name)s: gift %(gift)s × %(quantity)s") % {
            "name": name, "gift": params["gift"], "quantity": params.get("gift_quantity", 1)
        }
    if params.get("reached"):
        return _("%(name)s (spent %(reached)s, %(discount)s off)") % {
            "name": name, "reached": format_money(Decimal(params["reached"])),
            "discount": format_money(Decimal(params["discount"])),
        }
    if params.get("points_multiplier"):
        return _("%(name)s (points × %(multiplier)s)") % {"name": name, "multiplier": params["points_multiplier"]}
    return name


def promotion_hint(hint: dict) -> str:
    """What the cart says about a promotion not reached yet: "spend ¥12 more for ¥20 off (满199减20)"."""
    missing = format_money(Decimal(hint["missing"]))
    if hint["kind"] == "gift":
        return _("Spend %(missing)s more to get %(gift)s free (%(name)s)") % {
            "missing": missing, "gift": hint["gift"], "name": hint["name"]
        }
    if hint["kind"] == "free_shipping":
        return _("Spend %(missing)s more for free shipping (%(name)s)") % {"missing": missing, "name": hint["name"]}
    return _("Spend %(missing)s more for %(discount)s off (%(name)s)") % {
        "missing": missing, "discount": format_money(Decimal(hint["discount"])), "name": hint["name"]
    }


def _coupon(params):
    return _("Coupon %(code)s") % {"code": params["code"]}


_RENDERERS = {
    "tier": _tier,
    "promotion": _promotion,
    "coupon": _coupon,
    "shipping": _shipping,
    "shipping_discount": _shipping_discount,
    "points": _points,
    "floor": _floor,
}
