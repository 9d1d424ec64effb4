"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for the mail tests.

``SMTPSink(port=None)`` listens on a free port of 127.0.0.1 at once; ``stop()`` closes it (as a
server that goes down does) and ``start()`` opens it again on the same port. ``refuse`` makes it
answer every RCPT with that reply (``"451 4.3.0 try later"``, ``"550 5.1.1 no such user"``).
"""
import email
import email.policy
import threading
import time

from aiosmtpd.controller import Controller

from ..services import free_port


class _Handler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.sink.refuse:
            return self.sink.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.sink.delay:  # a slow server; it blocks this server's loop, as one busy server would
            time.sleep(self.sink.delay)
        with self.sink.lock:
            self.sink.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"


class _Controller(Controller):
    """Keeps its connections, so that stopping can cut them as a server that dies does (and
    leave no transport for the garbage collector to complain about)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sessions = []

    def factory(self):
        session = super().factory()
        self.sessions.append(session)
        return session

    def cut_connections(self):
        done = threading.Event()

        def cut():
            for session in self.sessions:
                if session.transport is not None:
                    session.transport.abort()
            done.set()

        self.loop.call_soon_threadsafe(cut)
        done.wait(5)


class SMTPSink:
    def __init__(self, port=None):
        self.port = port or free_port()
        self.received = []  # (mail from, recipients, raw bytes)
        self.lock = threading.Lock()
        self.refuse = None
        self.delay = 0
        self.controller = None
        self.start()

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.port}"

    def start(self):
        self.controller = _Controller(_Handler(self), hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=True)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.cut_connections()
            self.controller.stop()
            self.controller = None

    def messages(self):
        """What arrived, parsed: ``email.message.EmailMessage`` objects."""
        with self.lock:
            raw = [data for _, _, data in self.received]
        return [email.message_from_bytes(data, policy=email.policy.default) for data in raw]

    def wait_for(self, count, timeout=20):
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.received)} mails arrived, not {count}")
            time.sleep(0.02)
        return self.messages()
