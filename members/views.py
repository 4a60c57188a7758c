"""The member centre's pages (for now: overview and the address book)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from members.forms import AddressForm
from members.models import Address
from members.services import delete_address, save_address


@login_required
def overview(request):
    return render(request, "members/overview.html", {"address_count": request.user.addresses.count()})


@login_required
def address_list(request):
    return render(request, "members/address_list.html", {"addresses": request.user.addresses.all()})


@login_required
def address_edit(request, pk=None):
    address = get_object_or_404(Address, pk=pk, user=request.user) if pk else Address(user=request.user)
    form = AddressForm(request.POST or None, instance=address)
    if request.method == "POST" and form.is_valid():
        save_address(address=form.save(commit=False))
        messages.success(request, _("Address saved."))
        target = request.GET.get("next", "")
        return redirect(target if target.startswith("/") and not target.startswith("//") else "members:address-list")
    return render(request, "members/address_form.html", {"form": form, "address": address})


@login_required
@require_POST
def address_delete(request, pk):
    delete_address(address=get_object_or_404(Address, pk=pk, user=request.user))
    messages.success(request, _("Address deleted."))
    return redirect("members:address-list")
