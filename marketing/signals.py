"""Cache busting: announcements sit in the cached home page."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from catalog.cache import bump_catalog_version
from marketing.models import Announcement


@receiver(post_save, sender=Announcement, dispatch_uid="marketing-announcement-saved")
@receiver(post_delete, sender=Announcement, dispatch_uid="marketing-announcement-deleted")
def bump_on_announcement_change(sender, **kwargs):
    bump_catalog_version()
