"""用户协议 / 隐私政策: which version of each document a member accepted, and when."""

from django.conf import settings
from django.db import transaction

from members.models import ConsentRecord


def current_versions() -> dict[str, str]:
    return {
        ConsentRecord.Document.TERMS: settings.LEGAL_TERMS_VERSION,
        ConsentRecord.Document.PRIVACY: settings.LEGAL_PRIVACY_VERSION,
    }


@transaction.atomic
def record_consent(*, user) -> list[ConsentRecord]:
    """Record that the member accepts the current terms and privacy policy; a repeat for the same versions is a no-op."""
    records = []
    for document, version in current_versions().items():
        record, _ = ConsentRecord.objects.get_or_create(user=user, document=document, version=version)
        records.append(record)
    return records
