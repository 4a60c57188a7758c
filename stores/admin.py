from django.contrib import admin

from stores.models import Stock, StockMovement, Store


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "region", "is_pickup_enabled", "is_active", "priority"]
    list_filter = ["kind", "is_active", "is_pickup_enabled", "region"]
    search_fields = ["name", "code", "address"]


@admin.register(Stock)
class StockAdmin(admin.ModelAdmin):
    """Read-only here: figures change only through the stock services, which write the ledger."""

    list_display = ["variant", "store", "on_hand", "reserved", "low_stock_threshold"]
    list_filter = ["store"]
    list_select_related = ["variant__product", "store"]
    search_fields = ["variant__sku", "variant__product__name"]
    readonly_fields = ["store", "variant", "on_hand", "reserved"]

    def has_add_permission(self, request):
        return False


@admin.register(StockMovement)
class StockMovementAdmin(admin.ModelAdmin):
    list_display = ["created_at", "stock", "reason", "on_hand_change", "reserved_change", "reference", "created_by"]
    list_filter = ["reason", "stock__store"]
    list_select_related = ["stock__store", "stock__variant", "created_by"]
    search_fields = ["reference", "stock__variant__sku"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
