"""Where a "go back" link may send the browser: only somewhere on this shop."""

from django.utils.http import url_has_allowed_host_and_scheme


def safe_target(request, candidate: str | None) -> str | None:
    """``candidate`` if it stays on this host (and scheme), else None.

    Django's own check, so tricks like "//evil.example" or "/\\evil.example",
    which browsers read as another host, are refused.
    """
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return None
