"""The clerk's "verify a pick-up code" page in the order admin: type or scan the code, hand the goods over.

A plain admin view (OrderAdmin.get_urls) so a later admin theme restyles it
with the rest; the rules live in orders/services/pickup.py.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.translation import gettext

from orders.admin_forms import VerifyPickupForm
from orders.services.pickup import PickupError, find_pickup_order, hand_over_with_code


def verify_pickup_view(order_admin, request):
    """GET: the code form. POST: find the waiting order in the clerk's stores and hand it over, or say why not."""
    from orders.admin import render_action_page

    actor = order_admin.actor(request)
    if actor is None:
        raise PermissionDenied
    form = VerifyPickupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            order = find_pickup_order(actor=actor, number=form.order_number(), code=form.cleaned_data["pickup_code"])
            order = hand_over_with_code(order_id=order.pk, code=form.cleaned_data["pickup_code"], actor=actor,
                                        note=form.cleaned_data["note"])
        except PickupError as err:
            form.add_error(None, err.message)
        else:
            request.session["pickup_handed_over"] = order.number
            messages.success(request, gettext("Order %(number)s was picked up: hand these goods over.") % {
                "number": order.number})
            return redirect("admin:orders_order_verify_pickup")
    handed = None
    number = request.session.pop("pickup_handed_over", None) if request.method == "GET" else None
    if number:
        handed = order_admin.get_queryset(request).filter(number=number).prefetch_related("lines").first()
    return render_action_page(order_admin, request, title=gettext("Verify a pick-up code"), form=form,
                              template="admin/orders/order/verify_pickup.html", handed=handed,
                              submit_label=gettext("Hand over"))
