"""Text messages through a pluggable backend, the way Django sends email.

``settings.SMS_BACKEND`` names a class with ``send(phone, text, *, template, params)``.
The shop ships two: ``ConsoleBackend`` prints each text (development) and
``LocmemBackend`` keeps them in ``members.sms.outbox`` (tests). A real gateway is one
more class with the same method, named in the setting; nothing else changes.

Mainland gateways (Aliyun SMS, Tencent Cloud SMS) send no free text: each message is a
template approved in advance under an approved signature (短信签名), filled with
parameters. So every text names its ``template`` (``verification_code``,
``unknown_account``, ``account_exists``) and ``params`` (``{"code": "123456"}``,
``{"url": ...}``) beside the rendered ``text``; a gateway backend maps the template name
to its approved template id and sends the params, the console and tests read the text.
"""

import logging
import sys
import threading
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

# Filled by LocmemBackend; tests read and clear it like django.core.mail.outbox.
outbox: list["TextMessage"] = []


@dataclass(frozen=True)
class TextMessage:
    phone: str
    text: str
    template: str = ""
    params: dict = field(default_factory=dict)


class BaseBackend:
    def send(self, phone: str, text: str, *, template: str = "", params: dict | None = None) -> None:
        raise NotImplementedError


class ConsoleBackend(BaseBackend):
    """Writes each text to stdout, so a developer can read the code off the terminal."""

    _lock = threading.Lock()

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout

    def send(self, phone: str, text: str, *, template: str = "", params: dict | None = None) -> None:
        with self._lock:
            self.stream.write(f"SMS to {phone}: {text}\n")
            self.stream.flush()


class LocmemBackend(BaseBackend):
    def send(self, phone: str, text: str, *, template: str = "", params: dict | None = None) -> None:
        outbox.append(TextMessage(phone=phone, text=text, template=template, params=dict(params or {})))


def get_backend() -> BaseBackend:
    # Read at call time, so override_settings(SMS_BACKEND=...) works in tests.
    return import_string(getattr(settings, "SMS_BACKEND", "members.sms.ConsoleBackend"))()


def send_sms(phone: str, text: str, *, template: str = "", params: dict | None = None) -> None:
    """Send one text message through the configured backend (``template`` and ``params``: see above)."""
    backend = get_backend()
    # The number is personal data: log only that a text went out, not to whom.
    logger.info("sending a %s text message through %s", template or "plain", type(backend).__name__)
    backend.send(phone, text, template=template, params=params or {})
