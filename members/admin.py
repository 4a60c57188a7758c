from django.contrib import admin

from members.models import Address


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin):
    list_display = ["recipient", "user", "province", "city", "district", "is_default"]
    list_filter = ["province"]
    search_fields = ["recipient", "user__email", "city", "detail"]
    raw_id_fields = ["user"]
