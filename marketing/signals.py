"""Cache busting: announcements sit in the cached home page."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from catalog.cache import bump_catalog_version
from marketing.models import Announcement


@receiver(post_save, sender=Announcement, dispatch_uid="marketing-announcement-saved")
@receiver(post_delete, sender=Announcement, dispatch_uid="marketing-announcement-deleted")
def bump_on_announcement_change(sender, **kwargs):
    bump_catalog_version()


# Promotions show on cached cards and product pages (marketing.live_promotions keys on the version too).
def _bump_on_promotion_change(sender, **kwargs):
    if kwargs.get("action", "post_").startswith("post_"):
        from marketing.live_promotions import bump_promotions_version

        bump_promotions_version()
        bump_catalog_version()


def _connect_promotion_signals():
    from django.db.models.signals import m2m_changed

    from marketing.models import Promotion, PromotionThreshold

    for model in (Promotion, PromotionThreshold):
        post_save.connect(_bump_on_promotion_change, sender=model, dispatch_uid=f"marketing-{model.__name__}-saved")
        post_delete.connect(_bump_on_promotion_change, sender=model, dispatch_uid=f"marketing-{model.__name__}-deleted")
    for name in ("tiers", "categories", "brands", "products", "variants", "excluded_products", "excluded_variants"):
        m2m_changed.connect(_bump_on_promotion_change, sender=getattr(Promotion, name).through,
                            dispatch_uid=f"marketing-promotion-{name}-changed")


_connect_promotion_signals()


# Flash sales show a badge on cached cards (marketing.live_flash keys on the catalogue version);
# the quota's guarded UPDATEs send no signal, so a busy sale does not drop the caches.
def _connect_flash_signals():
    from marketing.models import FlashSale, GroupBuy

    for model in (FlashSale, GroupBuy):
        post_save.connect(bump_on_announcement_change, sender=model, dispatch_uid=f"marketing-{model.__name__}-saved")
        post_delete.connect(bump_on_announcement_change, sender=model, dispatch_uid=f"marketing-{model.__name__}-deleted")


_connect_flash_signals()
