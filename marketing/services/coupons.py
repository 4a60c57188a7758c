"""Coupons (优惠券): issue (claim, code, staff, automatic), use once at checkout or the counter, give back.

Every write that moves a coupon count or a coupon's state is a guarded
UPDATE or runs under row locks taken in the shop's one lock order
(orders/locks.py): the member account first, then coupon rows by primary
key. ``issued_count`` only moves by ``UPDATE … WHERE issued_count <
total_quantity``, so a template is never issued beyond its quantity however
many shoppers race for the last one; a coupon is used by ``UPDATE … WHERE
status = 'available'``, so it is used on one order only.

Marketing sits below orders: orders call these services and identify orders
by their number, never by a foreign key.
"""

import csv
import io
import secrets
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.models import (
    Coupon,
    CouponCode,
    CouponTemplate,
    Notification,
    PromotionUse,
)
from members.models import MemberProfile

ZERO = Decimal("0.00")
# Unambiguous on a receipt or read over the phone: no 0/O, no 1/I/L.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
MAX_CODE_LENGTH = 20


class CouponError(Exception):
    """A coupon cannot be issued, redeemed or used; ``message`` is fit to show the shopper."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- codes --------------------------------------------------------------------------------


def new_code(prefix: str = "C", length: int = 10) -> str:
    return prefix + "".join(secrets.choice(CODE_ALPHABET) for _i in range(length))


def clean_code(raw) -> str:
    """A typed or scanned code, normalised; raises CouponError for anything that cannot be a code.

    Long strings and control characters (a NUL byte breaks PostgreSQL text)
    are refused before they reach a query.
    """
    if not isinstance(raw, str):
        raise CouponError(_("Enter a coupon code."))
    code = raw.strip().upper().replace(" ", "").replace("-", "")
    if not code:
        raise CouponError(_("Enter a coupon code."))
    if len(code) > MAX_CODE_LENGTH or not code.isascii() or not code.isalnum():
        raise CouponError(_("“%(code)s” is not a coupon code.") % {"code": raw.strip()[:24]})
    return code


# --- issuing ------------------------------------------------------------------------------


def coupon_window(template: CouponTemplate, *, now=None) -> tuple:
    """When a coupon issued now is valid: N days from now, or the template's fixed window."""
    now = now or timezone.now()
    if template.valid_days:
        return now, now + timedelta(days=template.valid_days)
    starts = template.valid_from or now
    ends = template.valid_until or now + timedelta(days=int(getattr(settings, "MARKETING_COUPON_DEFAULT_DAYS", 30)))
    return starts, ends


def _template_refusal(template: CouponTemplate, member: MemberProfile, *, now) -> str | None:
    if not template.is_active:
        return _("This coupon is no longer handed out.")
    if template.valid_until is not None and not template.valid_days and template.valid_until <= now:
        return _("This coupon has ended.")
    tier_ids = {tier.pk for tier in template.tiers.all()}
    if tier_ids and member.tier_id not in tier_ids:
        return _("This coupon is for %(tiers)s members only.") % {
            "tiers": "/".join(tier.name for tier in template.tiers.all())
        }
    if template.new_customers_only and member.last_order_at is not None:
        return _("This coupon is for new customers: members without a completed order.")
    return None


def _lock_member(user_id: int) -> MemberProfile:
    from members.services.accounts import lock_member

    return lock_member(user_id=user_id)


def _issue_locked(template: CouponTemplate, member: MemberProfile, *, source: str, reference: str = "",
                  issued_by=None, check_rules: bool = True, now=None) -> Coupon:
    """Issue one coupon to a member whose account row the caller has locked (lock step 4, then coupons)."""
    now = now or timezone.now()
    if check_rules:
        refusal = _template_refusal(template, member, now=now)
        if refusal:
            raise CouponError(refusal)
        held = Coupon.objects.filter(template=template, user_id=member.user_id).exclude(status=Coupon.Status.VOID)
        if held.count() >= template.per_member_limit:
            raise CouponError(_("You already have this coupon (%(limit)s per member).") % {
                "limit": template.per_member_limit
            })
    # The guarded count: never beyond the total quantity, whoever else is claiming at this moment.
    guarded = CouponTemplate.objects.filter(pk=template.pk)
    if template.total_quantity is not None:
        guarded = guarded.filter(issued_count__lt=F("total_quantity"))
    if not guarded.update(issued_count=F("issued_count") + 1):
        raise CouponError(_("This coupon is all gone."))
    valid_from, valid_until = coupon_window(template, now=now)
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Coupon.objects.create(
                    template=template, user_id=member.user_id, code=new_code(), source=source,
                    reference=reference, valid_from=valid_from, valid_until=valid_until, issued_by=issued_by,
                )
        except IntegrityError as err:
            if "coupon_once_per_reference" in str(err):
                raise CouponError(_("This coupon was already issued."))
            continue  # the random code was taken: draw another
    raise CouponError(_("Could not issue the coupon; please try again."))


def issue_coupon(*, template_id: int, user_id: int, source: str, reference: str = "", issued_by=None,
                 check_rules: bool = True, now=None) -> Coupon:
    """Issue one coupon of a template to a member. Raises CouponError (nothing written)."""
    with transaction.atomic():
        member = _lock_member(user_id)
        template = CouponTemplate.objects.get(pk=template_id)
        return _issue_locked(template, member, source=source, reference=reference, issued_by=issued_by,
                             check_rules=check_rules, now=now)


def claim_coupon(*, template_id: int, user_id: int) -> Coupon:
    """领券: a member takes a coupon shown in the claim centre or on a product page."""
    template = CouponTemplate.objects.filter(pk=template_id, is_claimable=True).first()
    if template is None:
        raise CouponError(_("This coupon cannot be claimed."))
    return issue_coupon(template_id=template.pk, user_id=user_id, source=Coupon.Source.CLAIM)


def redeem_code(*, code, user_id: int) -> Coupon:
    """A bulk code (发码) typed on the redeem form or at checkout becomes a coupon in the member's wallet.

    The code row is locked after the member (lock order), so two members
    typing the same code at once get one coupon between them.
    """
    code = clean_code(code)
    with transaction.atomic():
        member = _lock_member(user_id)
        row = CouponCode.objects.select_for_update().select_related("template").filter(code=code).first()
        if row is None:
            raise CouponError(_("There is no coupon with the code %(code)s.") % {"code": code})
        if row.coupon_id is not None:
            if row.redeemed_by_id == user_id:
                return row.coupon
            raise CouponError(_("The code %(code)s has already been used.") % {"code": code})
        coupon = _issue_locked(row.template, member, source=Coupon.Source.CODE, reference=f"code-{code}")
        row.coupon, row.redeemed_by_id, row.redeemed_at = coupon, user_id, timezone.now()
        row.save(update_fields=["coupon", "redeemed_by", "redeemed_at"])
        return coupon


def generate_codes(*, template_id: int, count: int, batch: str = "") -> list[CouponCode]:
    """Generate ``count`` unique codes for a template (at most 10,000 at once)."""
    if not 1 <= count <= 10_000:
        raise CouponError(_("Generate between 1 and 10,000 codes at a time."))
    batch = batch or timezone.now().strftime("%Y%m%d%H%M%S")
    made: list[CouponCode] = []
    while len(made) < count:
        wanted = count - len(made)
        candidates = {new_code(prefix="K", length=11) for _i in range(wanted)}
        taken = set(CouponCode.objects.filter(code__in=candidates).values_list("code", flat=True))
        rows = [CouponCode(template_id=template_id, code=code, batch=batch) for code in candidates - taken]
        # A code drawn by a concurrent batch is skipped by the unique index and drawn again next round.
        CouponCode.objects.bulk_create(rows, ignore_conflicts=True)
        made += CouponCode.objects.filter(code__in=[row.code for row in rows], template_id=template_id, batch=batch)
    return made


def codes_csv(template_id: int) -> str:
    """The codes of a template as CSV (code, batch, redeemed by, redeemed at) for printing or a partner."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["code", "batch", "redeemed_by", "redeemed_at"])
    rows = CouponCode.objects.filter(template_id=template_id).select_related("redeemed_by").order_by("id")
    for row in rows.iterator():
        writer.writerow([row.code, row.batch, row.redeemed_by.get_username() if row.redeemed_by else "",
                         row.redeemed_at.isoformat() if row.redeemed_at else ""])
    return out.getvalue()


def issue_to_members(*, template_id: int, user_ids, by=None) -> tuple[int, int]:
    """Staff issue (定向发券) one coupon to each chosen member; returns (issued, skipped).

    Each member in their own transaction, so one who is not eligible or a
    quantity that runs out stops nothing already issued.
    """
    issued = skipped = 0
    for user_id in sorted(set(user_ids)):
        try:
            issue_coupon(template_id=template_id, user_id=user_id, source=Coupon.Source.STAFF, issued_by=by)
            issued += 1
        except CouponError:
            skipped += 1
    return issued, skipped


def _automatic_template(event: str, member: MemberProfile) -> CouponTemplate | None:
    """The active template issued on ``event`` for this member's tier: one for their tier first, else for all."""
    candidates = list(
        CouponTemplate.objects.filter(auto_issue=event, is_active=True).prefetch_related("tiers").order_by("-id")
    )
    for template in candidates:
        if member.tier_id and member.tier_id in {tier.pk for tier in template.tiers.all()}:
            return template
    for template in candidates:
        if not template.tiers.all():
            return template
    return None


def issue_automatic_coupon(*, user_id: int, event: str, reference: str, notify: bool = True) -> Coupon | None:
    """Issue the coupon set up for ``event`` (birthday, referral, first order) once per ``reference``.

    Safe to call twice, late or concurrently: the unique (member, template,
    reference) constraint lets one through. Returns None when nothing is set
    up, the quantity is gone or it was issued before. Runs in a savepoint, so
    a caller's transaction (counting an order) never fails because of it.
    """
    source = {
        CouponTemplate.AutoIssue.BIRTHDAY: Coupon.Source.BIRTHDAY,
        CouponTemplate.AutoIssue.REFERRAL: Coupon.Source.REFERRAL,
        CouponTemplate.AutoIssue.FIRST_ORDER: Coupon.Source.FIRST_ORDER,
    }[event]
    try:
        with transaction.atomic():
            member = _lock_member(user_id)
            template = _automatic_template(event, member)
            if template is None:
                return None
            if Coupon.objects.filter(template=template, user_id=user_id, reference=reference).exists():
                return None
            coupon = _issue_locked(template, member, source=source, reference=reference, check_rules=False)
            if notify:
                Notification.objects.create(
                    user_id=user_id, kind=f"coupon_{event}",
                    params={"name": template.name, "code": coupon.code, "until": coupon.valid_until.date().isoformat()},
                    link=reverse("coupons:mine"),
                )
            return coupon
    except CouponError:
        return None


def on_order_counted(*, user_id: int, order_number: str, is_first_order: bool, referrer_user_id: int | None) -> None:
    """What a counted (completed) order issues: the first-order coupon, and the inviter's reward coupon."""
    if is_first_order:
        issue_automatic_coupon(user_id=user_id, event=CouponTemplate.AutoIssue.FIRST_ORDER, reference="first-order")
    if referrer_user_id:
        issue_automatic_coupon(user_id=referrer_user_id, event=CouponTemplate.AutoIssue.REFERRAL,
                               reference=f"referral-{user_id}")


# --- birthdays ------------------------------------------------------------------------------


def _birthday_this_window(birthday: date, today: date, days: int) -> date | None:
    """The date of the member's next birthday if it falls in [today, today + days]; 29 Feb counts as 28 Feb."""
    for year in (today.year, today.year + 1):
        try:
            occurs = birthday.replace(year=year)
        except ValueError:
            occurs = date(year, 2, 28)
        if today <= occurs <= today + timedelta(days=days):
            return occurs
    return None


def issue_birthday_coupons(*, today: date | None = None) -> int:
    """Daily: each member whose birthday falls in MARKETING_BIRTHDAY_WINDOW_DAYS gets their tier's coupon once a year.

    The coupon's reference is ``birthday-YYYY`` (the year of that birthday),
    unique per member and template, so a run twice, late or on two workers
    issues one. Members who agreed to marketing messages also get an email,
    queued after commit. Returns how many coupons this run issued.
    """
    today = today or timezone.localdate()
    days = int(getattr(settings, "MARKETING_BIRTHDAY_WINDOW_DAYS", 7))
    if not CouponTemplate.objects.filter(auto_issue=CouponTemplate.AutoIssue.BIRTHDAY, is_active=True).exists():
        return 0
    candidates = MemberProfile.objects.filter(birthday__isnull=False, anonymised_at__isnull=True).values_list(
        "user_id", "birthday", "marketing_consent"
    )
    issued = 0
    for user_id, birthday, consent in candidates.iterator():
        occurs = _birthday_this_window(birthday, today, days)
        if occurs is None:
            continue
        reference = f"birthday-{occurs.year}"
        # Once a year whatever the tier: a member who moved tier since does not get a second template's coupon.
        if Coupon.objects.filter(user_id=user_id, source=Coupon.Source.BIRTHDAY, reference=reference).exists():
            continue
        coupon = issue_automatic_coupon(user_id=user_id, event=CouponTemplate.AutoIssue.BIRTHDAY, reference=reference)
        if coupon is None:
            continue
        issued += 1
        if consent:
            transaction.on_commit(lambda pk=coupon.pk: _queue_birthday_email(pk))
    return issued


def _queue_birthday_email(coupon_id: int) -> None:
    from shop.queue import queue_task

    queue_task("marketing.tasks.send_birthday_email_task", coupon_id)


def send_birthday_email(*, coupon_id: int) -> bool:
    """Email the birthday coupon once: the coupon's notification records that it went out."""
    from django.core.mail import send_mail

    coupon = Coupon.objects.select_related("template", "user").filter(pk=coupon_id).first()
    if coupon is None or not coupon.user.email:
        return False
    claimed = Notification.objects.filter(
        user_id=coupon.user_id, kind="coupon_birthday", params__code=coupon.code
    ).exclude(params__has_key="emailed").update(params={
        "name": coupon.template.name, "code": coupon.code, "until": coupon.valid_until.date().isoformat(), "emailed": 1,
    })
    if not claimed:
        return False
    subject = _("A birthday gift from %(shop)s") % {"shop": settings.SHOP_NAME}
    body = _("Happy birthday! A coupon is waiting in your account: %(name)s, valid until %(until)s.") % {
        "name": coupon.template.name, "until": coupon.valid_until.date().isoformat(),
    }
    send_mail(subject, body, None, [coupon.user.email])
    return True


# --- using and giving back --------------------------------------------------------------------


def use_coupon(*, code: str, user_id: int, order_number: str, discount: Decimal, order_total: Decimal,
               now=None) -> Coupon:
    """Mark the member's coupon used by an order, once, inside the caller's transaction.

    Called by checkout after the member lock (lock step 5). The guarded
    UPDATE lets exactly one order have it, however many tabs submit at
    once. Records a PromotionUse for the campaign figures. Raises CouponError.
    """
    now = now or timezone.now()
    updated = Coupon.objects.filter(
        code=code, user_id=user_id, status=Coupon.Status.AVAILABLE, valid_from__lte=now, valid_until__gt=now,
        template__is_active=True,
    ).update(status=Coupon.Status.USED, order_number=order_number, discount_amount=discount, used_at=now)
    if not updated:
        raise CouponError(_("Coupon %(code)s is no longer available; choose another or none.") % {"code": code})
    coupon = Coupon.objects.select_related("template").get(code=code)
    PromotionUse.objects.create(
        coupon_template_id=coupon.template_id, order_number=order_number, user_id=user_id,
        discount=discount, order_total=order_total,
    )
    return coupon


def redeem_coupon_at_counter(*, code, user_id: int, order_number: str, discount: Decimal, order_total: Decimal,
                             by=None) -> Coupon:
    """核销 at the counter: store staff scan or type a code for the member at the till.

    The code is a coupon in that member's wallet, or a bulk code (turned into
    their coupon first). The counter sale prices its basket with
    ``counter_coupon(code=…, user_id=…)`` and the pipeline, then calls this
    inside its own transaction, after the member lock, with what the coupon
    took off. Raises CouponError with a message for the till.
    """
    code = clean_code(code)
    with transaction.atomic():
        coupon = counter_coupon(code=code, user_id=user_id)
        return use_coupon(code=coupon.code, user_id=user_id, order_number=order_number, discount=discount,
                          order_total=order_total)


def counter_coupon(*, code, user_id: int) -> Coupon:
    """The member's usable coupon for a scanned code (a bulk code is redeemed into their wallet). CouponError if none."""
    code = clean_code(code)
    coupon = Coupon.objects.select_related("template").filter(code=code).first()
    if coupon is None and CouponCode.objects.filter(code=code).exists():
        coupon = redeem_code(code=code, user_id=user_id)
    refusal = coupon_refusal(coupon, user_id=user_id)
    if refusal:
        raise CouponError(refusal)
    return coupon


def coupon_refusal(coupon: Coupon | None, *, user_id: int, now=None) -> str | None:
    """Why this coupon cannot be used by this member now, or None."""
    now = now or timezone.now()
    if coupon is None:
        return _("There is no such coupon.")
    if coupon.user_id != user_id:
        return _("Coupon %(code)s belongs to another member.") % {"code": coupon.code}
    if coupon.status == Coupon.Status.USED:
        return _("Coupon %(code)s has already been used.") % {"code": coupon.code}
    if coupon.status == Coupon.Status.VOID or not coupon.template.is_active:
        return _("Coupon %(code)s is no longer valid.") % {"code": coupon.code}
    if coupon.valid_from > now:
        return _("Coupon %(code)s is valid from %(date)s.") % {
            "code": coupon.code, "date": timezone.localtime(coupon.valid_from).strftime("%Y-%m-%d %H:%M"),
        }
    if coupon.valid_until <= now:
        return _("Coupon %(code)s expired on %(date)s.") % {
            "code": coupon.code, "date": timezone.localtime(coupon.valid_until).strftime("%Y-%m-%d"),
        }
    return None


def release_coupons(*, order_number: str, only_if_valid: bool = False, now=None) -> int:
    """Give an order's coupon back to its member (the order was cancelled, expired or refunded in full).

    ``only_if_valid``: a refund gives back only a coupon whose time has not
    run out. The campaign use is marked cancelled either way. Returns how
    many coupons came back.
    """
    now = now or timezone.now()
    PromotionUse.objects.filter(order_number=order_number, coupon_template__isnull=False).update(is_cancelled=True)
    used = Coupon.objects.filter(order_number=order_number, status=Coupon.Status.USED)
    if only_if_valid:
        used = used.filter(valid_until__gt=now)
    return used.update(status=Coupon.Status.AVAILABLE, order_number="", discount_amount=ZERO, used_at=None)


def void_coupons(*, coupon_ids, by=None) -> int:
    """Staff withdraw coupons not yet used (a mistaken issue)."""
    return Coupon.objects.filter(pk__in=list(coupon_ids), status=Coupon.Status.AVAILABLE).update(
        status=Coupon.Status.VOID
    )


def mark_notifications_read(*, user_id: int) -> int:
    return Notification.objects.filter(user_id=user_id, read_at__isnull=True).update(read_at=timezone.now())


__all__ = [
    "CouponError", "claim_coupon", "clean_code", "codes_csv", "counter_coupon", "coupon_refusal", "generate_codes",
    "issue_automatic_coupon", "issue_birthday_coupons", "issue_coupon", "issue_to_members", "mark_notifications_read",
    "on_order_counted", "redeem_code", "redeem_coupon_at_counter", "release_coupons", "send_birthday_email",
    "use_coupon", "void_coupons",
]

