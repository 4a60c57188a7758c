from celery import shared_task


@shared_task(time_limit=1800, soft_time_limit=1700)
def expire_points_task() -> int:
    """Nightly: expire points past their date. Safe to run twice: each earn entry expires once."""
    from django.utils import timezone

    from members.services import expire_points

    return expire_points(today=timezone.localdate())
