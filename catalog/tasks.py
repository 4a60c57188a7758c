from celery import shared_task


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def make_thumbnails_task(image_id: int) -> bool:
    from catalog.services import make_thumbnails

    return make_thumbnails(image_id=image_id)


@shared_task(time_limit=600)
def make_missing_thumbnails_task() -> int:
    """Sweep for images whose thumbnails were never made (a lost task, a worker crash)."""
    from catalog.selectors import images_missing_thumbnails

    ids = list(images_missing_thumbnails().values_list("pk", flat=True)[:500])
    for image_id in ids:
        make_thumbnails_task.delay(image_id)
    return len(ids)


@shared_task(time_limit=120)
def flush_search_counts_task() -> int:
    """Move the search counts kept in the cache into the day's search words (hot searches)."""
    from catalog.search_terms import flush_search_counts

    return flush_search_counts()
