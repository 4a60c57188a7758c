"""Group buys and their groups in the admin: filters by status and campaign, search by share code or leader."""

from datetime import timedelta

from django.contrib import admin, messages
from django.db.models import F
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from marketing.models import Group, GroupBuy, GroupMember


@admin.register(GroupBuy)
class GroupBuyAdmin(admin.ModelAdmin):
    list_display = ["name", "variant", "group_price", "group_size", "hours_to_fill", "starts_at", "ends_at", "is_active"]
    list_filter = ["is_active", "group_size", "starts_at"]
    search_fields = ["name", "variant__sku", "variant__product__name"]
    raw_id_fields = ["variant"]
    actions = ["activate", "deactivate"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("variant__product")

    @admin.action(description=_("Switch the chosen group buys on"), permissions=["change"])
    def activate(self, request, queryset):
        count = queryset.update(is_active=True)
        self.message_user(request, ngettext("%(count)d group buy switched on.", "%(count)d group buys switched on.",
                                            count) % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Switch the chosen group buys off (open groups run to their deadline)"),
                  permissions=["change"])
    def deactivate(self, request, queryset):
        count = queryset.update(is_active=False)
        self.message_user(request, ngettext("%(count)d group buy switched off.", "%(count)d group buys switched off.",
                                            count) % {"count": count}, messages.SUCCESS)


class GroupMemberInline(admin.TabularInline):
    model = GroupMember
    extra = 0
    can_delete = False
    fields = ["user", "order_number", "is_leader", "joined_at", "left_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ["code", "campaign", "leader", "joined", "size", "status", "deadline", "closed_at"]
    list_filter = ["status", "campaign", "deadline"]
    search_fields = ["code", "leader__username", "leader__email", "members__order_number"]
    readonly_fields = ["campaign", "code", "leader", "size", "joined", "status", "closed_at", "created_at"]
    fields = ["campaign", "code", "leader", "size", "joined", "status", "deadline", "closed_at", "created_at"]
    inlines = [GroupMemberInline]
    actions = ["extend_deadline"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("campaign", "leader")

    def has_add_permission(self, request):
        return False  # groups are started by shoppers paying for them

    @admin.action(description=_("Give the chosen open groups 24 more hours"), permissions=["change"])
    def extend_deadline(self, request, queryset):
        count = queryset.filter(status=Group.Status.OPEN).update(deadline=F("deadline") + timedelta(hours=24))
        self.message_user(request, ngettext("%(count)d group got 24 more hours.", "%(count)d groups got 24 more hours.",
                                            count) % {"count": count}, messages.SUCCESS)
