"""The member back office: the member list with its filters and CSV export, and staff
points/wallet entries through the services.

Balances are never edited here: a change is a form that calls a service,
and the service writes the ledger row (``created_by`` = the staff member)
that is the audit trail. Lists show phones masked; the full number is on
the member's own page only.
"""

import csv
import uuid
from datetime import timedelta
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import F, Prefetch, Window
from django.db.models.functions import RowNumber
from django.http import StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.module_loading import import_string
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from members import services
from members.exceptions import MemberError
from members.models import (
    Address,
    MemberProfile,
    MemberTag,
    PointsEntry,
    ReferralReward,
    Tier,
    TierChange,
    TopUpBonusRule,
    WalletEntry,
    WalletTopUp,
)
from members.services.wallet import TOP_UP_MAX, TOP_UP_MIN
from shop.admin_mixins import ReadOnlyAdminMixin
from shop.money import format_money as money

RECENT_ENTRIES = 20  # ledger rows shown on a member's page; the full ledgers have their own lists
POINTS_ADJUST_LIMIT = 10_000_000


# --- filters of the member list ------------------------------------------------------

class BirthdayMonthFilter(admin.SimpleListFilter):
    title = _("birthday month")
    parameter_name = "birthday_month"

    def lookups(self, request, model_admin):
        return [(str(number), name) for number, name in MONTHS.items()]

    def queryset(self, request, queryset):
        if self.value() in {str(number) for number in MONTHS}:
            return queryset.filter(birthday__month=int(self.value()))
        return None


class SpendBandFilter(admin.SimpleListFilter):
    title = _("total spend")
    parameter_name = "spend"
    BANDS = {
        "lt500": (None, Decimal("500")),
        "500-2000": (Decimal("500"), Decimal("2000")),
        "2000-10000": (Decimal("2000"), Decimal("10000")),
        "gt10000": (Decimal("10000"), None),
    }

    def lookups(self, request, model_admin):
        return [
            ("lt500", _("under ¥500")),
            ("500-2000", _("¥500 – ¥2,000")),
            ("2000-10000", _("¥2,000 – ¥10,000")),
            ("gt10000", _("¥10,000 and more")),
        ]

    def queryset(self, request, queryset):
        band = self.BANDS.get(self.value())
        if band is None:
            return None
        low, high = band
        if low is not None:
            queryset = queryset.filter(total_spend__gte=low)
        if high is not None:
            queryset = queryset.filter(total_spend__lt=high)
        return queryset


class LastOrderFilter(admin.SimpleListFilter):
    title = _("last order")
    parameter_name = "last_order"
    DAYS = {"30": 30, "90": 90, "365": 365}

    def lookups(self, request, model_admin):
        return [
            ("30", _("within 30 days")),
            ("90", _("within 90 days")),
            ("365", _("within a year")),
            ("never", _("never ordered")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "never":
            return queryset.filter(last_order_at__isnull=True)
        if self.value() in self.DAYS:
            return queryset.filter(last_order_at__gte=timezone.now() - timedelta(days=self.DAYS[self.value()]))
        return None


# --- staff forms ------------------------------------------------------------------------

class AdjustPointsForm(forms.Form):
    change = forms.IntegerField(
        label=_("change"), min_value=-POINTS_ADJUST_LIMIT, max_value=POINTS_ADJUST_LIMIT,
        help_text=_("Positive to add points, negative to take them away."),
    )
    reason = forms.CharField(label=_("reason"), max_length=200)

    def clean_change(self):
        change = self.cleaned_data["change"]
        if change == 0:
            raise forms.ValidationError(_("The change must be a whole number other than zero."))
        return change


class TopUpInStoreForm(forms.Form):
    amount = forms.DecimalField(
        label=_("amount"), max_digits=12, decimal_places=2, min_value=TOP_UP_MIN, max_value=TOP_UP_MAX,
        help_text=_("The money the member paid at the counter, in yuan."),
    )
    reason = forms.CharField(label=_("reason"), max_length=200, help_text=_("e.g. the till receipt number."))
    # Drawn when the page is shown and kept through a re-shown form: the wallet entry is keyed on it,
    # so a double click or a re-sent POST credits the money once.
    token = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4, required=False)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("token"):
            raise forms.ValidationError(_("This form is out of date; open it again."))
        return cleaned


# --- read-only parts of a member's page ----------------------------------------------

class RecentEntriesInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The newest RECENT_ENTRIES rows of one of the member's ledgers, read-only."""

    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_view_permission(self, request, obj=None):
        # Whoever may see the member sees their ledgers on the same page.
        return request.user.has_perm("members.view_memberprofile") or request.user.has_perm(
            "members.change_memberprofile"
        )

    def get_queryset(self, request):
        # Numbered per member, newest first, so the member's page can keep only the newest rows.
        return super().get_queryset(request).annotate(
            recent=Window(RowNumber(), partition_by=[F("member_id")], order_by=[F("created_at").desc(), F("id").desc()])
        ).filter(recent__lte=RECENT_ENTRIES)


class PointsEntryInline(RecentEntriesInline):
    model = PointsEntry
    fields = ["created_at", "kind", "change", "balance_after", "reference", "note", "expires_on", "created_by"]
    verbose_name_plural = _("recent points entries")


class WalletEntryInline(RecentEntriesInline):
    model = WalletEntry
    fields = ["created_at", "kind", "change", "balance_after", "reference", "note", "created_by"]
    verbose_name_plural = _("recent wallet entries")


class TierChangeInline(RecentEntriesInline):
    model = TierChange
    fields = ["created_at", "from_tier", "to_tier", "reason"]


# --- CSV ------------------------------------------------------------------------------

class _Echo:
    """A file-like object csv.writer can write to, handing each row straight back to the response."""

    def write(self, value):
        return value


def _csv_safe(value) -> str:
    # A cell starting with = + - @ would run as a formula in Excel (CSV injection).
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


@admin.register(MemberProfile)
class MemberProfileAdmin(admin.ModelAdmin):
    list_display = [
        "email", "masked_phone_column", "tier", "points_balance", "wallet_column", "spend_column",
        "last_order_at", "tag_list",
    ]
    list_filter = ["tier", "tags", BirthdayMonthFilter, SpendBandFilter, LastOrderFilter]
    search_fields = ["user__email", "phone", "referral_code"]
    list_select_related = ["user", "tier"]
    filter_horizontal = ["tags"]
    inlines = [PointsEntryInline, WalletEntryInline, TierChangeInline]
    actions = ["export_csv", "anonymise_requested"]
    fieldsets = [
        (None, {"fields": ["user", "phone", "birthday", "gender", "tags"]}),
        (_("Member programme"), {"fields": [
            "tier", "tier_since", "points_balance", "wallet_balance", "total_spend", "last_order_at",
            "referral_code", "referred_by", "created_at",
        ]}),
        (_("Privacy"), {"fields": [
            "marketing_consent", "marketing_consent_at", "deletion_requested_at", "anonymised_at",
        ]}),
    ]
    # Balances change only through the services; tier and consent only through their rules and the member.
    readonly_fields = [
        "user", "tier", "tier_since", "points_balance", "wallet_balance", "total_spend", "last_order_at",
        "referral_code", "referred_by", "created_at", "marketing_consent", "marketing_consent_at",
        "deletion_requested_at", "anonymised_at",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related(Prefetch("tags", queryset=MemberTag.objects.order_by("name")))

    def get_fieldsets(self, request, obj=None):
        if self.has_change_permission(request, obj):
            return self.fieldsets
        # Look-up only (store staff at the counter): they find a member by phone but read it masked.
        return [(title, {**options, "fields": ["masked_phone_column" if name == "phone" else name
                                               for name in options["fields"]]})
                for title, options in self.fieldsets]

    def get_readonly_fields(self, request, obj=None):
        if self.has_change_permission(request, obj):
            return self.readonly_fields
        return [*self.readonly_fields, "masked_phone_column"]

    def has_add_permission(self, request):
        return False  # a profile is made with the user (members.services.ensure_member)

    def has_delete_permission(self, request, obj=None):
        return False  # orders and ledgers need it; erase the person with "anonymise" instead

    @admin.display(description=_("email"), ordering="user__email")
    def email(self, member):
        return member.user.email

    @admin.display(description=_("mobile phone"))
    def masked_phone_column(self, member):
        return member.masked_phone

    @admin.display(description=_("wallet balance"), ordering="wallet_balance")
    def wallet_column(self, member):
        return money(member.wallet_balance)

    @admin.display(description=_("total spend"), ordering="total_spend")
    def spend_column(self, member):
        return money(member.total_spend)

    @admin.display(description=_("tags"))
    def tag_list(self, member):
        return ", ".join(tag.name for tag in member.tags.all())

    def save_model(self, request, obj, form, change):
        # Only the fields staff changed: a full save would write back balances a service changed meanwhile.
        fields = [name for name in form.changed_data if name in ("phone", "birthday", "gender")]
        if fields:
            obj.save(update_fields=fields)

    # --- actions on the list ------------------------------------------------------------

    def has_export_permission(self, request):
        # Looking a member up at the counter is not taking the member list home: export needs change rights.
        return self.has_change_permission(request)

    @admin.action(description=_("Export CSV"), permissions=["export"])
    def export_csv(self, request, queryset):
        """The selected (or, with "select all", every filtered) member as CSV for Excel, phones masked."""
        header = [
            gettext("email"), gettext("mobile phone"), gettext("tier"), gettext("points"), gettext("wallet balance"),
            gettext("total spend"), gettext("last order at"), gettext("tags"), gettext("member since"),
            gettext("invite code"),
        ]

        def rows():
            yield "\ufeff"  # the byte-order mark tells Excel the file is UTF-8, so Chinese shows correctly
            writer = csv.writer(_Echo())
            yield writer.writerow(header)
            members = queryset.select_related("user", "tier").prefetch_related("tags").order_by("pk")
            for member in members.iterator(chunk_size=500):
                yield writer.writerow([_csv_safe(value) for value in (
                    member.user.email, member.masked_phone, member.tier.name if member.tier else "",
                    member.points_balance, member.wallet_balance, member.total_spend, _local(member.last_order_at),
                    ", ".join(tag.name for tag in member.tags.all()), _local(member.created_at), member.referral_code,
                )])

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="members-{timezone.localdate():%Y%m%d}.csv"'
        return response

    @admin.action(description=_("Anonymise members who asked to be deleted"), permissions=["change"])
    def anonymise_requested(self, request, queryset):
        asked = queryset.filter(deletion_requested_at__isnull=False, anonymised_at__isnull=True).select_related("user")
        done = 0
        for member in asked:
            try:
                services.anonymise_member(user=member.user)
            except MemberError as err:
                self.message_user(request, f"{member}: {err.message}", messages.WARNING)
                continue
            done += 1
        skipped = queryset.filter(deletion_requested_at__isnull=True).count()
        if done:
            self.message_user(request, ngettext(
                "%(count)d member anonymised.", "%(count)d members anonymised.", done) % {"count": done},
                messages.SUCCESS)
        if skipped:
            self.message_user(request, ngettext(
                "%(count)d member has not asked to be deleted and was left as is.",
                "%(count)d members have not asked to be deleted and were left as they are.", skipped,
            ) % {"count": skipped}, messages.WARNING)

    # --- a member's page and its staff forms -----------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}), "member_actions": self.member_actions(request, object_id),
            "purchase_sections": self.purchase_sections(request, object_id),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def purchase_sections(self, request, object_id) -> list[dict]:
        """The member's purchases from the apps above members (MEMBERS_ADMIN_PURCHASES_PROVIDERS).

        Each provider scopes its rows to the stores this staff member may see,
        so a store manager looking a member up sees their own stores' sales only.
        """
        member = self.get_object(request, unquote(object_id))
        if member is None:
            return []
        return [import_string(path)(staff=request.user, member=member)
                for path in getattr(settings, "MEMBERS_ADMIN_PURCHASES_PROVIDERS", [])]

    def member_actions(self, request, object_id) -> list[tuple[str, str]]:
        actions = []
        if request.user.has_perm("members.add_pointsentry"):
            actions.append((reverse("admin:members_memberprofile_adjust_points", args=[object_id]), gettext("Adjust points")))
        if request.user.has_perm("members.add_walletentry"):
            actions.append((reverse("admin:members_memberprofile_top_up", args=[object_id]), gettext("Top up wallet in store")))
        return actions

    def get_urls(self):
        custom = [
            path("<path:object_id>/adjust-points/", self.admin_site.admin_view(self.adjust_points_view),
                 name="members_memberprofile_adjust_points"),
            path("<path:object_id>/top-up/", self.admin_site.admin_view(self.top_up_view),
                 name="members_memberprofile_top_up"),
        ]
        return custom + super().get_urls()

    def _member_page(self, request, object_id, *, permission, title, form_class, perform):
        """GET shows the form; POST validates it and calls ``perform(member, data)`` (a service).

        On success, back to the member with a message; a refusal from the
        service is shown as a form error with the input kept.
        """
        if not request.user.has_perm(permission):
            raise PermissionDenied
        member = self.get_object(request, unquote(object_id))
        if member is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        form = form_class(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                message = perform(member, form.cleaned_data)
            except MemberError as err:
                form.add_error(None, err.message)
            else:
                self.message_user(request, message, messages.SUCCESS)
                return redirect("admin:members_memberprofile_change", member.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "subtitle": str(member),
            "opts": self.opts,
            "member": member,
            "form": form,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/members/memberprofile/form_page.html", context)

    def adjust_points_view(self, request, object_id):
        def perform(member, data):
            entry = services.staff_adjust_points(user_id=member.user_id, change=data["change"],
                                                 reason=data["reason"], by=request.user)
            return gettext("Points changed by %(change)+d; the balance is now %(balance)d.") % {
                "change": entry.change, "balance": entry.balance_after,
            }

        return self._member_page(request, object_id, permission="members.add_pointsentry",
                                 title=gettext("Adjust points"), form_class=AdjustPointsForm, perform=perform)

    def top_up_view(self, request, object_id):
        def perform(member, data):
            entry = services.staff_top_up_wallet(user_id=member.user_id, amount=data["amount"],
                                                 reason=data["reason"], by=request.user,
                                                 reference=f"counter-{data['token'].hex}")
            return gettext("Topped up %(amount)s; the wallet balance is now %(balance)s.") % {
                "amount": money(entry.change), "balance": money(entry.balance_after),
            }

        return self._member_page(request, object_id, permission="members.add_walletentry",
                                 title=gettext("Top up wallet in store"), form_class=TopUpInStoreForm, perform=perform)


# --- programme settings ------------------------------------------------------------------

@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "rank", "rule", "threshold", "discount_percent", "points_multiplier",
                    "free_shipping_over"]
    prepopulated_fields = {"code": ["name"]}
    ordering = ["rank"]


@admin.register(TopUpBonusRule)
class TopUpBonusRuleAdmin(admin.ModelAdmin):
    list_display = ["pay_at_least", "bonus", "is_active"]
    list_editable = ["is_active"]
    list_filter = ["is_active"]


@admin.register(MemberTag)
class MemberTagAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


# --- ledgers and records: read-only --------------------------------------------------------

class MemberRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_select_related = ["member__user"]
    search_fields = ["member__user__email", "member__referral_code"]

    @admin.display(description=_("member"), ordering="member__user__email")
    def member_email(self, row):
        return row.member.user.email


@admin.register(PointsEntry)
class PointsEntryAdmin(MemberRecordAdmin):
    list_display = ["created_at", "member_email", "kind", "change", "balance_after", "reference", "note",
                    "expires_on", "created_by"]
    list_filter = ["kind", "created_at"]
    search_fields = [*MemberRecordAdmin.search_fields, "reference"]
    date_hierarchy = "created_at"


@admin.register(WalletEntry)
class WalletEntryAdmin(MemberRecordAdmin):
    list_display = ["created_at", "member_email", "kind", "change", "balance_after", "reference", "note",
                    "created_by"]
    list_filter = ["kind", "created_at"]
    search_fields = [*MemberRecordAdmin.search_fields, "reference"]
    date_hierarchy = "created_at"


@admin.register(WalletTopUp)
class WalletTopUpAdmin(MemberRecordAdmin):
    list_display = ["number", "member_email", "amount", "bonus", "status", "transaction_id", "created_at", "paid_at"]
    list_filter = ["status"]
    search_fields = [*MemberRecordAdmin.search_fields, "number", "transaction_id"]


@admin.register(ReferralReward)
class ReferralRewardAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "invitee", "referrer", "order_number", "points_each"]
    list_select_related = ["invitee__user", "referrer__user"]
    search_fields = ["invitee__user__email", "referrer__user__email", "order_number"]


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin):
    list_display = ["recipient", "user", "province", "city", "district", "is_default"]
    list_filter = ["province"]
    search_fields = ["recipient", "user__email", "city", "detail"]
    raw_id_fields = ["user"]
