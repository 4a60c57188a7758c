"""Flash sales in the admin: sold and remaining at a glance, takes per order, bulk switch on and off."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from marketing.models import FlashSale, FlashSaleTake


class FlashSaleTakeInline(admin.TabularInline):
    model = FlashSaleTake
    extra = 0
    can_delete = False
    fields = ["order_number", "user", "quantity", "created_at", "released_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(FlashSale)
class FlashSaleAdmin(admin.ModelAdmin):
    list_display = ["name", "variant", "flash_price", "starts_at", "ends_at", "quota", "sold", "remaining",
                    "per_member_limit", "is_active"]
    list_filter = ["is_active", "starts_at", "ends_at"]
    search_fields = ["name", "variant__sku", "variant__product__name"]
    raw_id_fields = ["variant"]
    readonly_fields = ["taken", "created_at"]
    date_hierarchy = "starts_at"
    inlines = [FlashSaleTakeInline]
    actions = ["activate", "deactivate"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("variant__product")

    @admin.display(description=_("sold"), ordering="taken")
    def sold(self, sale):
        # Units held by orders, paid or awaiting payment; unpaid ones come back when they expire.
        return sale.taken

    @admin.display(description=_("remaining"))
    def remaining(self, sale):
        return max(0, sale.quota - sale.taken)

    @admin.action(description=_("Switch the chosen flash sales on"), permissions=["change"])
    def activate(self, request, queryset):
        count = queryset.update(is_active=True)
        self.message_user(request, ngettext("%(count)d flash sale switched on.", "%(count)d flash sales switched on.",
                                            count) % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Switch the chosen flash sales off"), permissions=["change"])
    def deactivate(self, request, queryset):
        count = queryset.update(is_active=False)
        self.message_user(request, ngettext("%(count)d flash sale switched off.", "%(count)d flash sales switched off.",
                                            count) % {"count": count}, messages.SUCCESS)
