"""Text messages through a pluggable backend, the way Django sends email.

``settings.SMS_BACKEND`` names a class with ``send(phone, text)``. The shop ships
two: ``ConsoleBackend`` prints each text (development) and ``LocmemBackend`` keeps
them in ``members.sms.outbox`` (tests). A real gateway (Aliyun, Tencent Cloud…) is
one more class with the same method, named in the setting; nothing else changes.
"""

import logging
import sys
import threading
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

# Filled by LocmemBackend; tests read and clear it like django.core.mail.outbox.
outbox: list["TextMessage"] = []


@dataclass(frozen=True)
class TextMessage:
    phone: str
    text: str


class BaseBackend:
    def send(self, phone: str, text: str) -> None:
        raise NotImplementedError


class ConsoleBackend(BaseBackend):
    """Writes each text to stdout, so a developer can read the code off the terminal."""

    _lock = threading.Lock()

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout

    def send(self, phone: str, text: str) -> None:
        with self._lock:
            self.stream.write(f"SMS to {phone}: {text}\n")
            self.stream.flush()


class LocmemBackend(BaseBackend):
    def send(self, phone: str, text: str) -> None:
        outbox.append(TextMessage(phone=phone, text=text))


def get_backend() -> BaseBackend:
    # Read at call time, so override_settings(SMS_BACKEND=...) works in tests.
    return import_string(getattr(settings, "SMS_BACKEND", "members.sms.ConsoleBackend"))()


def send_sms(phone: str, text: str) -> None:
    """Send one text message through the configured backend."""
    backend = get_backend()
    # The number is personal data: log only that a text went out, not to whom.
    logger.info("sending a text message through %s", type(backend).__name__)
    backend.send(phone, text)
