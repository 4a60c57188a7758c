"""The member back office: the list opens and filters, exports masked CSV for Excel, and staff
points/wallet entries go through the services with form errors instead of server errors."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.admin import helpers
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.utils import timezone

from members.models import MemberProfile, MemberTag, PointsEntry, WalletEntry
from members.services import ensure_member, request_deletion
from tests.members.conftest import give_points, make_user, points_of, wallet_of

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/members/memberprofile/"


@pytest.fixture
def english(admin_client):
    # Messages are matched in English; the back office speaks Chinese by default.
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return admin_client


def member_with(name, *, phone="", spend="0", birthday=None, last_order_days=None, tags=()):
    member = ensure_member(user=make_user(name))
    MemberProfile.objects.filter(pk=member.pk).update(
        phone=phone, total_spend=Decimal(spend), birthday=birthday,
        last_order_at=timezone.now() - timedelta(days=last_order_days) if last_order_days is not None else None,
    )
    member.refresh_from_db()
    member.tags.set(tags)
    return member


def listed(response) -> set[str]:
    return {member.user.username for member in response.context["cl"].result_list}


@pytest.fixture
def crowd(db):
    vip = MemberTag.objects.create(name="VIP")
    return {
        "ann": member_with("ann", phone="13800138000", spend="120", birthday=date(1990, 3, 8), last_order_days=5,
                           tags=[vip]),
        "bo": member_with("bo", phone="13900139000", spend="800", birthday=date(1985, 12, 1), last_order_days=60),
        "cy": member_with("cy", spend="5000", last_order_days=200),
        "di": member_with("di", spend="25000"),
        "vip": vip,
    }


def test_the_member_list_shows_masked_phones_never_full_ones(admin_client, crowd):
    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    assert "138****8000" in response.text
    assert "13800138000" not in response.text


def test_the_member_page_shows_the_full_phone_and_ledgers(admin_client, crowd):
    give_points(crowd["ann"], 40)

    response = admin_client.get(f"{CHANGELIST}{crowd['ann'].pk}/change/")

    assert response.status_code == 200
    assert "13800138000" in response.text
    assert "test credit" in response.text


@pytest.mark.parametrize("query, expected", [
    ("spend=lt500", {"ann"}),
    ("spend=500-2000", {"bo"}),
    ("spend=2000-10000", {"cy"}),
    ("spend=gt10000", {"di"}),
    ("birthday_month=3", {"ann"}),
    ("birthday_month=12", {"bo"}),
    ("last_order=30", {"ann"}),
    ("last_order=90", {"ann", "bo"}),
    ("last_order=365", {"ann", "bo", "cy"}),
    ("last_order=never", {"di"}),
    ("q=13900139000", {"bo"}),
    ("q=cy@example.com", {"cy"}),
])
def test_the_member_list_filters_and_searches(admin_client, crowd, query, expected):
    response = admin_client.get(f"{CHANGELIST}?{query}")

    assert response.status_code == 200
    assert listed(response) == expected


def test_the_member_list_filters_by_tag_and_by_invite_code(admin_client, crowd):
    assert listed(admin_client.get(f"{CHANGELIST}?tags__id__exact={crowd['vip'].pk}")) == {"ann"}
    assert listed(admin_client.get(f"{CHANGELIST}?q={crowd['cy'].referral_code}")) == {"cy"}


def test_junk_filter_values_show_the_whole_list_instead_of_failing(admin_client, crowd):
    response = admin_client.get(f"{CHANGELIST}?spend=lots&birthday_month=13&last_order=soon")

    assert response.status_code == 200
    assert listed(response) == {"ann", "bo", "cy", "di"}


def test_the_csv_export_opens_in_excel_with_chinese_and_masked_phones(admin_client, crowd):
    crowd["ann"].tags.add(MemberTag.objects.create(name="高价值"))

    response = admin_client.post(CHANGELIST, {
        "action": "export_csv", helpers.ACTION_CHECKBOX_NAME: [crowd["ann"].pk, crowd["bo"].pk],
    })

    body = b"".join(response.streaming_content).decode("utf-8")
    assert response["Content-Type"].startswith("text/csv")
    assert body.startswith("\ufeff")
    assert "138****8000" in body and "139****9000" in body
    assert "13800138000" not in body
    assert "高价值" in body
    assert "cy@example.com" not in body  # only the selected members


def test_the_csv_export_defuses_cells_excel_would_run_as_formulas(admin_client, db):
    member = ensure_member(user=make_user("evil"))
    member.user.email = "=HYPERLINK(1)@example.com"
    member.user.save(update_fields=["email"])

    response = admin_client.post(CHANGELIST, {"action": "export_csv", helpers.ACTION_CHECKBOX_NAME: [member.pk]})

    assert "'=HYPERLINK(1)@example.com" in b"".join(response.streaming_content).decode("utf-8")


def test_anonymising_from_the_list_only_touches_members_who_asked(english, crowd):
    request_deletion(user=crowd["ann"].user)

    response = english.post(CHANGELIST, {
        "action": "anonymise_requested", helpers.ACTION_CHECKBOX_NAME: [crowd["ann"].pk, crowd["bo"].pk],
    }, follow=True)

    crowd["ann"].refresh_from_db()
    crowd["bo"].refresh_from_db()
    assert crowd["ann"].anonymised_at is not None and crowd["ann"].phone == ""
    assert crowd["bo"].anonymised_at is None and crowd["bo"].phone == "13900139000"
    texts = [m.message for m in get_messages(response.wsgi_request)]
    assert "1 member anonymised." in texts


def test_editing_a_member_never_writes_back_a_stale_balance(admin_client, crowd):
    member = crowd["bo"]
    page = admin_client.get(f"{CHANGELIST}{member.pk}/change/")
    give_points(member, 70)  # a service changes the balance while the page is open

    form = page.context["adminform"].form
    data = {name: form.initial.get(name) or "" for name in ("phone", "birthday", "gender")}
    data.update({"phone": "13700137000", "tags": [], **management_data()})
    response = admin_client.post(f"{CHANGELIST}{member.pk}/change/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    member.refresh_from_db()
    assert member.phone == "13700137000"
    assert member.points_balance == 70


def management_data():
    data = {}
    for prefix in ("points_entries", "wallet_entries", "tier_changes"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0",
                     f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "0"})
    return data


# --- staff forms ----------------------------------------------------------------------

def test_staff_adjust_points_through_the_form_and_are_recorded(english, admin_user, crowd):
    member = crowd["ann"]

    response = english.post(f"{CHANGELIST}{member.pk}/adjust-points/", {"change": "150", "reason": "补偿"}, follow=True)

    assert points_of(member) == 150
    entry = PointsEntry.objects.get(member=member)
    assert (entry.kind, entry.note, entry.created_by) == ("adjust", "补偿", admin_user)
    assert "Points changed by +150; the balance is now 150." in [m.message for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize("data", [
    {"change": "abc", "reason": "x"},
    {"change": "0", "reason": "x"},
    {"change": "99999999999999999999", "reason": "x"},
    {"change": "10", "reason": ""},
    {},
])
def test_junk_in_the_points_form_is_a_form_error_not_a_server_error(admin_client, crowd, data):
    response = admin_client.post(f"{CHANGELIST}{crowd['ann'].pk}/adjust-points/", data)

    assert response.status_code == 200
    assert response.context["form"].errors
    assert points_of(crowd["ann"]) == 0


def test_taking_more_points_than_the_member_has_is_shown_on_the_form(english, crowd):
    response = english.post(f"{CHANGELIST}{crowd['ann'].pk}/adjust-points/", {"change": "-5", "reason": "oops"})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["You have 0 points, not enough for 5."]


def top_up_token(client, member) -> str:
    """The one-time token the top-up page hands out, as a browser would send it back."""
    return str(client.get(f"{CHANGELIST}{member.pk}/top-up/").context["form"]["token"].value())


def test_staff_top_up_a_wallet_in_store_through_the_form(english, admin_user, crowd):
    member = crowd["bo"]
    token = top_up_token(english, member)

    response = english.post(f"{CHANGELIST}{member.pk}/top-up/", {"amount": "300.00", "reason": "POS 0042", "token": token},
                            follow=True)

    assert wallet_of(member) == Decimal("300.00")
    entry = WalletEntry.objects.get(member=member)
    assert (entry.kind, entry.note, entry.created_by) == ("top_up", "POS 0042", admin_user)
    assert "Topped up ¥300.00; the wallet balance is now ¥300.00." in [
        m.message for m in get_messages(response.wsgi_request)
    ]


def test_a_counter_top_up_submitted_twice_credits_the_wallet_once(english, crowd):
    member = crowd["bo"]
    data = {"amount": "300.00", "reason": "POS 0042", "token": top_up_token(english, member)}

    first = english.post(f"{CHANGELIST}{member.pk}/top-up/", data)
    second = english.post(f"{CHANGELIST}{member.pk}/top-up/", data)  # a double click, or the POST sent again

    assert first.status_code == second.status_code == 302
    assert wallet_of(member) == Decimal("300.00")
    assert WalletEntry.objects.filter(member=member).count() == 1


def test_each_showing_of_the_top_up_page_carries_a_new_token(english, crowd):
    page = english.get(f"{CHANGELIST}{crowd['bo'].pk}/top-up/")

    assert 'type="hidden" name="token"' in page.content.decode()
    assert top_up_token(english, crowd["bo"]) != top_up_token(english, crowd["bo"])


def test_a_top_up_form_without_its_token_is_refused_on_the_form(english, crowd):
    response = english.post(f"{CHANGELIST}{crowd['bo'].pk}/top-up/", {"amount": "300.00", "reason": "POS 0042"})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["This form is out of date; open it again."]
    assert wallet_of(crowd["bo"]) == Decimal("0.00")


@pytest.mark.parametrize("amount", ["-1", "0.5", "50000.01", "1.001", "NaN", "Infinity", "十"])
def test_junk_amounts_in_the_top_up_form_are_form_errors(admin_client, crowd, amount):
    response = admin_client.post(f"{CHANGELIST}{crowd['bo'].pk}/top-up/", {"amount": amount, "reason": "x"})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert wallet_of(crowd["bo"]) == Decimal("0.00")


def test_the_staff_forms_open_for_an_unknown_member_without_an_error(admin_client, db):
    assert admin_client.get(f"{CHANGELIST}999999/adjust-points/").status_code == 302
    assert admin_client.get(f"{CHANGELIST}abc/top-up/").status_code == 302


def test_shoppers_are_sent_to_the_admin_log_in(client, shopper, crowd):
    client.force_login(shopper)

    for url in (CHANGELIST, f"{CHANGELIST}{crowd['ann'].pk}/adjust-points/", f"{CHANGELIST}{crowd['ann'].pk}/top-up/"):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_staff_who_may_see_members_but_not_adjust_points_are_refused(client, crowd):
    viewer = make_user("viewer")
    viewer.is_staff = True
    viewer.save(update_fields=["is_staff"])
    viewer.user_permissions.set(Permission.objects.filter(codename="view_memberprofile"))
    client.force_login(viewer)

    assert client.get(CHANGELIST).status_code == 200
    assert client.post(f"{CHANGELIST}{crowd['ann'].pk}/adjust-points/", {"change": "5", "reason": "x"}).status_code == 403
    assert client.post(f"{CHANGELIST}{crowd['ann'].pk}/top-up/", {"amount": "5", "reason": "x"}).status_code == 403
    assert points_of(crowd["ann"]) == 0


@pytest.mark.parametrize("url", [
    "/admin/members/tier/", "/admin/members/topupbonusrule/", "/admin/members/membertag/",
    "/admin/members/pointsentry/", "/admin/members/walletentry/", "/admin/members/wallettopup/",
    "/admin/members/referralreward/", "/admin/members/address/",
])
def test_every_member_list_opens(admin_client, crowd, url):
    give_points(crowd["ann"], 5)

    assert admin_client.get(url).status_code == 200


def test_the_member_page_lists_only_the_newest_ledger_rows(admin_client, crowd):
    other = crowd["bo"]
    give_points(other, 1)
    for n in range(25):
        give_points(crowd["ann"], n + 1)

    response = admin_client.get(f"{CHANGELIST}{crowd['ann'].pk}/change/")

    points_inline = next(f for f in response.context["inline_admin_formsets"] if f.opts.model is PointsEntry)
    shown = [form.instance.change for form in points_inline.formset.forms]
    assert shown == list(range(25, 5, -1))
