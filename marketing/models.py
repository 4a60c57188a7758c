from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AnnouncementQuerySet(models.QuerySet):
    def live(self, *, at=None):
        at = at or timezone.now()
        return self.filter(
            Q(starts_at__isnull=True) | Q(starts_at__lte=at),
            Q(ends_at__isnull=True) | Q(ends_at__gt=at),
            is_active=True,
        )


class Announcement(models.Model):
    """A banner line across the top of the storefront (开业大促, 配送通知…)."""

    text = models.CharField(_("text"), max_length=200)
    link = models.CharField(_("link"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    objects = AnnouncementQuerySet.as_manager()

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        ordering = ["position", "-id"]

    def __str__(self) -> str:
        return self.text
