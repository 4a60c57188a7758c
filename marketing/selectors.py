from marketing.models import Announcement


def live_announcements(*, limit: int = 3) -> list[Announcement]:
    return list(Announcement.objects.live()[:limit])
