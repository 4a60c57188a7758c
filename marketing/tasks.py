"""Marketing's Celery tasks: thin wrappers that call one service each; safe to run twice, late or concurrently."""

from celery import shared_task


@shared_task
def issue_birthday_coupons_task() -> int:
    from marketing.services.coupons import issue_birthday_coupons

    return issue_birthday_coupons()


@shared_task
def send_birthday_email_task(coupon_id: int) -> bool:
    from marketing.services.coupons import send_birthday_email

    return send_birthday_email(coupon_id=coupon_id)
