"""Coupon admin: templates (scope, limits, codes, campaign figures), issued coupons, bulk codes, staff issue.

Staff issue (定向发券) is an action on the member list, so the member admin's
own filters (tier, tag, birthday month, spend band, last order) choose who
gets the coupon; it is attached here because marketing may import members,
not the other way round.
"""

from django import forms
from django.contrib import admin, messages
from django.db.models import (
    Count,
    DecimalField,
    IntegerField,
    OuterRef,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

import members.admin  # noqa: F401 (registers the member admin first, so the staff-issue action attaches to it)
from marketing.coupon_forms import GenerateCodesForm
from marketing.models import Coupon, CouponCode, CouponTemplate, PromotionUse
from marketing.services import coupons as coupon_services
from members.models import MemberProfile
from shop.money import format_money


def _count(queryset):
    return Coalesce(Subquery(queryset.values("template").annotate(n=Count("id")).values("n")[:1],
                             output_field=IntegerField()), Value(0))


def _uses(field_sum):
    rows = PromotionUse.objects.filter(coupon_template=OuterRef("pk"), is_cancelled=False).values("coupon_template")
    return Coalesce(Subquery(rows.annotate(v=field_sum).values("v")[:1], output_field=DecimalField()), Value(0),
                    output_field=DecimalField())


@admin.register(CouponTemplate)
class CouponTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "value", "window", "quantity", "fig_claimed", "fig_used", "fig_orders",
                    "fig_discount", "fig_revenue", "is_claimable", "auto_issue", "is_active"]
    list_filter = ["kind", "is_active", "is_claimable", "auto_issue", "stackable_with_promotions", "new_customers_only"]
    search_fields = ["name", "description"]
    filter_horizontal = ["categories", "brands", "tiers"]
    raw_id_fields = ["products", "variants", "excluded_products", "excluded_variants"]
    readonly_fields = ["issued_count", "figures", "code_tools"]
    actions = ["activate", "deactivate", "export_codes"]
    fieldsets = [
        (None, {"fields": ["name", "description", "kind", "amount", "threshold", "percent", "max_discount", "is_active"]}),
        (_("Validity"), {"fields": ["valid_from", "valid_until", "valid_days"]}),
        (_("Who and how many"), {"fields": ["total_quantity", "issued_count", "per_member_limit", "tiers",
                                            "new_customers_only", "stackable_with_promotions", "is_claimable",
                                            "auto_issue"]}),
        (_("Goods it covers"), {"fields": ["applies_to_all", "categories", "brands", "products", "variants",
                                           "excluded_products", "excluded_variants"]}),
        (_("Codes and figures"), {"fields": ["code_tools", "figures"]}),
    ]

    def get_queryset(self, request):
        coupons = Coupon.objects.filter(template=OuterRef("pk"))
        uses = PromotionUse.objects.filter(coupon_template=OuterRef("pk"), is_cancelled=False)
        return super().get_queryset(request).annotate(
            n_claimed=_count(coupons.filter(source__in=[Coupon.Source.CLAIM, Coupon.Source.CODE])),
            n_used=_count(coupons.filter(status=Coupon.Status.USED)),
            n_orders=Coalesce(Subquery(uses.values("coupon_template").annotate(n=Count("order_number", distinct=True))
                                       .values("n")[:1], output_field=IntegerField()), Value(0)),
            sum_discount=_uses(Sum("discount")),
            sum_revenue=_uses(Sum("order_total")),
        )

    @admin.display(description=_("value"))
    def value(self, obj):
        from marketing.templatetags.coupon_tags import coupon_terms, coupon_value

        return f"{coupon_value(obj)} · {coupon_terms(obj)}"

    @admin.display(description=_("valid"))
    def window(self, obj):
        if obj.valid_days:
            return gettext("%(days)s days after claiming") % {"days": obj.valid_days}
        start = obj.valid_from.strftime("%Y-%m-%d") if obj.valid_from else "…"
        end = obj.valid_until.strftime("%Y-%m-%d") if obj.valid_until else "…"
        return f"{start} – {end}"

    @admin.display(description=_("issued / total"))
    def quantity(self, obj):
        return f"{obj.issued_count} / {obj.total_quantity if obj.total_quantity is not None else '∞'}"

    @admin.display(description=_("claimed"), ordering="n_claimed")
    def fig_claimed(self, obj):
        return obj.n_claimed

    @admin.display(description=_("used"), ordering="n_used")
    def fig_used(self, obj):
        return obj.n_used

    @admin.display(description=_("orders"), ordering="n_orders")
    def fig_orders(self, obj):
        return obj.n_orders

    @admin.display(description=_("discount given"), ordering="sum_discount")
    def fig_discount(self, obj):
        return format_money(obj.sum_discount)

    @admin.display(description=_("revenue"), ordering="sum_revenue")
    def fig_revenue(self, obj):
        return format_money(obj.sum_revenue)

    @admin.display(description=_("campaign figures"))
    def figures(self, obj):
        if not obj.pk:
            return "—"
        from marketing.coupon_selectors import coupon_figures

        f = coupon_figures([obj.pk])[obj.pk]
        return gettext(
            "Issued %(issued)s · claimed %(claimed)s · used %(used)s · orders %(orders)s · discount given "
            "%(discount)s · revenue %(revenue)s"
        ) % {"issued": f.issued, "claimed": f.claimed, "used": f.used, "orders": f.orders,
             "discount": format_money(f.discount), "revenue": format_money(f.revenue)}

    @admin.display(description=_("codes"))
    def code_tools(self, obj):
        if not obj.pk:
            return gettext("Save the coupon first, then generate codes.")
        count = obj.codes.count()
        return format_html(
            '{} · <a href="{}">{}</a> · <a href="{}">{}</a> · <a href="{}">{}</a>',
            gettext("%(count)s codes") % {"count": count},
            reverse("admin:marketing_coupontemplate_generate_codes", args=[obj.pk]), gettext("Generate codes"),
            reverse("admin:marketing_coupontemplate_codes_csv", args=[obj.pk]), gettext("Export CSV"),
            reverse("admin:marketing_couponcode_changelist") + f"?template__id__exact={obj.pk}", gettext("List codes"),
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        from django.core.cache import cache

        cache.delete("marketing:claimable-coupons")  # product pages show the change at once

    def get_urls(self):
        extra = [
            path("<int:pk>/generate-codes/", self.admin_site.admin_view(self.generate_codes_view),
                 name="marketing_coupontemplate_generate_codes"),
            path("<int:pk>/codes.csv", self.admin_site.admin_view(self.codes_csv_view),
                 name="marketing_coupontemplate_codes_csv"),
        ]
        return extra + super().get_urls()

    def generate_codes_view(self, request, pk):
        template = get_object_or_404(CouponTemplate, pk=pk)
        if not self.has_change_permission(request, template):
            return redirect("admin:index")
        form = GenerateCodesForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                made = coupon_services.generate_codes(template_id=pk, count=form.cleaned_data["count"],
                                                      batch=form.cleaned_data["batch"])
            except coupon_services.CouponError as err:
                form.add_error("count", err.message)
            else:
                self.message_user(request, gettext("%(count)s codes generated.") % {"count": len(made)})
                return redirect("admin:marketing_coupontemplate_change", pk)
        return TemplateResponse(request, "admin/marketing/coupons/generate_codes.html", {
            **self.admin_site.each_context(request), "form": form, "template": template, "opts": self.model._meta,
            "title": gettext("Generate codes for %(name)s") % {"name": template.name},
        })

    def codes_csv_view(self, request, pk):
        template = get_object_or_404(CouponTemplate, pk=pk)
        if not self.has_view_permission(request, template):
            return redirect("admin:index")
        response = HttpResponse(coupon_services.codes_csv(pk), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="coupon-codes-{pk}.csv"'
        return response

    @admin.action(description=_("Activate the selected coupons"))
    def activate(self, request, queryset):
        self.message_user(request, gettext("%(count)s activated.") % {"count": queryset.update(is_active=True)})

    @admin.action(description=_("Stop handing out the selected coupons"))
    def deactivate(self, request, queryset):
        self.message_user(request, gettext("%(count)s stopped.") % {"count": queryset.update(is_active=False)})

    @admin.action(description=_("Export the codes of the selected coupons (CSV)"))
    def export_codes(self, request, queryset):
        body = "".join(coupon_services.codes_csv(pk) for pk in queryset.values_list("pk", flat=True))
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="coupon-codes.csv"'
        return response


@admin.register(Coupon)
class CouponAdmin(admin.ModelAdmin):
    list_display = ["code", "template", "user", "status", "source", "valid_until", "order_number", "discount_amount",
                    "created_at"]
    list_filter = ["status", "source", "template", "valid_until", "created_at"]
    search_fields = ["code", "user__email", "user__username", "order_number", "template__name"]
    list_select_related = ["template", "user"]
    readonly_fields = ["template", "user", "code", "status", "source", "reference", "valid_from", "valid_until",
                       "order_number", "discount_amount", "used_at", "issued_by", "created_at"]
    actions = ["void_selected"]

    def has_add_permission(self, request):
        return False  # coupons are issued by claim, code, staff issue or automatically, never typed in

    @admin.action(description=_("Withdraw the selected unused coupons"))
    def void_selected(self, request, queryset):
        count = coupon_services.void_coupons(coupon_ids=queryset.values_list("pk", flat=True), by=request.user)
        self.message_user(request, gettext("%(count)s coupons withdrawn.") % {"count": count})


@admin.register(CouponCode)
class CouponCodeAdmin(admin.ModelAdmin):
    list_display = ["code", "template", "batch", "redeemed_by", "redeemed_at"]
    list_filter = ["template", "batch", ("redeemed_at", admin.EmptyFieldListFilter)]
    search_fields = ["code", "batch", "redeemed_by__email"]
    list_select_related = ["template", "redeemed_by"]
    readonly_fields = ["template", "code", "batch", "coupon", "redeemed_by", "redeemed_at", "created_at"]

    def has_add_permission(self, request):
        return False  # generated in bulk from the coupon's page


# --- staff issue: an action on the member list, reusing its filters ------------------------------


class IssueCouponForm(forms.Form):
    template = forms.ModelChoiceField(label=_("Coupon"), queryset=CouponTemplate.objects.filter(is_active=True))


@admin.action(description=_("Issue a coupon to the selected members"), permissions=["change"])
def issue_coupon_to_members(modeladmin, request, queryset):
    form = IssueCouponForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        template = form.cleaned_data["template"]
        issued, skipped = coupon_services.issue_to_members(
            template_id=template.pk, user_ids=queryset.values_list("user_id", flat=True), by=request.user)
        level = messages.SUCCESS if issued else messages.WARNING
        modeladmin.message_user(request, gettext(
            "%(issued)s members got %(name)s; %(skipped)s were skipped (not eligible, already holding it, or none left)."
        ) % {"issued": issued, "skipped": skipped, "name": template.name}, level)
        return None
    return TemplateResponse(request, "admin/marketing/coupons/issue_to_members.html", {
        **modeladmin.admin_site.each_context(request), "form": form, "queryset": queryset, "count": queryset.count(),
        "opts": modeladmin.model._meta, "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        "title": gettext("Issue a coupon"),
    })


_member_admin = admin.site._registry.get(MemberProfile)
if _member_admin is not None and issue_coupon_to_members not in (_member_admin.actions or []):
    _member_admin.actions = [*(_member_admin.actions or []), issue_coupon_to_members]
