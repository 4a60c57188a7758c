from django.contrib import admin

from marketing.models import Announcement


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    list_display = ["text", "is_active", "starts_at", "ends_at", "position"]
    list_editable = ["is_active", "position"]
    list_filter = ["is_active"]
    search_fields = ["text"]


# Each marketing area registers its own admin (one import line each).
from marketing.admin import coupons  # noqa: E402,F401
from marketing.admin import flash, groups  # noqa: E402,F401
from marketing.admin import promotions  # noqa: E402,F401
