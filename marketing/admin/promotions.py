"""Promotions in the admin: threshold steps inline, live/upcoming/ended, campaign figures, bulk switch, the simulator."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from marketing.models import Promotion, PromotionThreshold, PromotionUse
from marketing.services.promotions import promotion_state, set_promotions_active
from shop.money import format_money

# The figures each kind needs (Promotion's docstring); a threshold reduction needs steps or "for every" instead.
REQUIRED_FIGURES = {
    Promotion.Kind.PERCENT: ["percent"],
    Promotion.Kind.AMOUNT_OFF: ["amount"],
    Promotion.Kind.NTH_ITEM: ["nth", "percent"],
    Promotion.Kind.BUY_X_GET_Y: ["buy_quantity", "free_quantity"],
    Promotion.Kind.GIFT: ["gift_variant", "threshold"],
    Promotion.Kind.MEMBER_DAY: ["weekday"],
    Promotion.Kind.FREE_SHIPPING: ["threshold"],
}


class PromotionForm(forms.ModelForm):
    class Meta:
        model = Promotion
        fields = "__all__"

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        for name in REQUIRED_FIGURES.get(kind, []):
            if data.get(name) in (None, ""):
                self.add_error(name, _("This kind of promotion needs this figure."))
        if kind == Promotion.Kind.MEMBER_DAY and not data.get("percent") and not data.get("points_multiplier"):
            self.add_error("percent", _("A member day takes a percent off, multiplies points, or both."))
        if kind == Promotion.Kind.THRESHOLD and bool(data.get("every_amount")) != bool(data.get("amount")):
            self.add_error("every_amount", _("“For every” and “amount off” go together."))
        for name in ("amount", "every_amount", "threshold", "max_discount", "points_multiplier"):
            value = data.get(name)
            if value is not None and value <= 0:
                self.add_error(name, _("Enter an amount above zero."))
        if data.get("nth") is not None and data["nth"] < 2:
            self.add_error("nth", _("The discounted item is the second or later."))
        return data


class PromotionThresholdInline(admin.TabularInline):
    model = PromotionThreshold
    extra = 2
    fields = ["threshold", "discount"]


class WindowFilter(admin.SimpleListFilter):
    title = _("window")
    parameter_name = "window"

    def lookups(self, request, model_admin):
        return [("live", _("live")), ("upcoming", _("upcoming")), ("ended", _("ended"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "live":
            return queryset.filter(starts_at__lte=now, ends_at__gt=now)
        if self.value() == "upcoming":
            return queryset.filter(starts_at__gt=now)
        if self.value() == "ended":
            return queryset.filter(ends_at__lte=now)
        return queryset


class PromotionUseInline(admin.TabularInline):
    model = PromotionUse
    fk_name = "promotion"
    extra = 0
    can_delete = False
    fields = ["order_number", "user", "discount", "order_total", "is_cancelled", "created_at"]
    readonly_fields = fields
    max_num = 0
    verbose_name_plural = _("latest orders")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Promotion)
class PromotionAdmin(admin.ModelAdmin):
    form = PromotionForm
    list_display = ["name", "kind", "badge_shown", "starts_at", "ends_at", "window", "priority", "is_exclusive",
                    "is_active", "orders", "discount_given", "revenue"]
    list_filter = ["kind", WindowFilter, "is_active", "is_exclusive"]
    search_fields = ["name", "badge"]
    date_hierarchy = "starts_at"
    inlines = [PromotionThresholdInline, PromotionUseInline]
    filter_horizontal = ["categories", "brands", "tiers"]
    raw_id_fields = ["products", "variants", "excluded_products", "excluded_variants", "gift_variant"]
    actions = ["activate", "deactivate"]
    fieldsets = [
        (None, {"fields": ["name", "kind", "badge", "is_active", ("starts_at", "ends_at"), "weekday",
                           ("priority", "is_exclusive", "stackable_with_coupons")]}),
        (_("Figures"), {
            "fields": [("threshold", "every_amount", "amount", "max_discount"), ("percent", "nth"),
                       ("buy_quantity", "free_quantity"), ("gift_variant", "gift_quantity"), "points_multiplier"],
            "description": _("Threshold reduction: the steps below, or “for every” + amount off (with “at most”). "
                             "Percent off: percent. Price off per item: amount. Nth item: Nth + percent off it. "
                             "Buy X get Y: buy + get free. Gift: threshold + gift. Member day: weekday, percent, "
                             "points multiplier, tiers. Free shipping: threshold."),
        }),
        (_("What it covers"), {"fields": ["applies_to_all", "categories", "brands", "products", "variants",
                                          "excluded_products", "excluded_variants", "tiers"]}),
    ]

    def get_queryset(self, request):
        counted = Q(uses__is_cancelled=False)
        # Campaign figures for the whole page in the list's own query.
        return super().get_queryset(request).annotate(
            order_count=Count("uses", filter=counted),
            discount_sum=Sum("uses__discount", filter=counted),
            revenue_sum=Sum("uses__order_total", filter=counted),
        )

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "simulator_url": reverse("admin-price-simulator")}
        return super().changelist_view(request, extra_context=extra_context)

    @admin.display(description=_("badge"))
    def badge_shown(self, promotion):
        from marketing.live_promotions import default_badge

        return promotion.badge or format_html("<span class='quiet'>{}</span>", default_badge(promotion.kind))

    @admin.display(description=_("window"))
    def window(self, promotion):
        return {"live": _("live"), "upcoming": _("upcoming"), "ended": _("ended")}[promotion_state(promotion)]

    @admin.display(description=_("orders"), ordering="order_count")
    def orders(self, promotion):
        return promotion.order_count

    @admin.display(description=_("discount given"), ordering="discount_sum")
    def discount_given(self, promotion):
        return format_money(promotion.discount_sum or 0)

    @admin.display(description=_("revenue"), ordering="revenue_sum")
    def revenue(self, promotion):
        return format_money(promotion.revenue_sum or 0)

    @admin.action(description=_("Switch the chosen promotions on"), permissions=["change"])
    def activate(self, request, queryset):
        count = set_promotions_active(promotion_ids=queryset.values_list("pk", flat=True), is_active=True)
        self.message_user(request, ngettext("%(count)d promotion switched on.", "%(count)d promotions switched on.",
                                            count) % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Switch the chosen promotions off"), permissions=["change"])
    def deactivate(self, request, queryset):
        count = set_promotions_active(promotion_ids=queryset.values_list("pk", flat=True), is_active=False)
        self.message_user(request, ngettext("%(count)d promotion switched off.", "%(count)d promotions switched off.",
                                            count) % {"count": count}, messages.SUCCESS)
