"""A real SMTP server on 127.0.0.1 for the tests (aiosmtpd): it keeps what it receives, and can refuse.

    with MailCatcher() as mail:                  # or the `mail` fixture
        app = make_app(**mail.config())           # the app's LIBRARY_SMTP_* settings pointing at it
        ...
        mail.wait_for(1)                          # the parsed messages (email.message.EmailMessage)
        mail.refuse_next("451 4.3.0 Try again later", times=2)   # the next RCPTs get this answer
"""

import asyncio
import email
import email.policy
import threading
import time

from aiosmtpd.controller import Controller

from library.serve import free_port


class MailCatcher:
    def __init__(self, port=None, delay=0.0):
        self.port = port or free_port()
        self.delay = delay  # seconds each DATA takes (a slow server: a kill is likelier to land mid-send)
        self.messages = []  # parsed, in arrival order
        self._answers = []  # answers to the next RCPT commands, then 250
        self._lock = threading.Lock()
        self._controller = None

    # aiosmtpd handler hooks (run in the controller's thread)
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's names
        with self._lock:
            answer = self._answers.pop(0) if self._answers else None
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def refuse_next(self, answer, times=1):
        with self._lock:
            self._answers.extend([answer] * times)

    def start(self):
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def config(self, **extra):
        """App config (or, with env=True keys, environment) for sending here."""
        return {"LIBRARY_SMTP_HOST": "127.0.0.1", "LIBRARY_SMTP_PORT": self.port, "LIBRARY_SMTP_SECURITY": "none",
                "LIBRARY_MAIL_FROM": "desk@library.test", **extra}

    def env(self, **extra):
        return {key: str(value) for key, value in self.config(**extra).items()}

    def message_ids(self):
        with self._lock:
            return [m["Message-ID"] for m in self.messages]

    def wait_for(self, count, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.messages)} message(s) arrived, not {count}")
            time.sleep(0.05)
