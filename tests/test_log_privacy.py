"""Nothing secret or personal in the logs of real gunicorn: an unsubscribe or confirmation link's
token, however the path is spelled and whatever goes wrong on it, and a client's IP address, in
the access log, gunicorn's error log and the app's own lines alike."""
import socket
from urllib.parse import urlsplit

import pytest
import requests

from widget_service.models import Subscription
from widget_service.subscriptions import unsubscribe_token

from .gunicorn_instance import served  # noqa: F401 (a fixture)

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

# Another loopback address than the service's own, as a client's would be.
CLIENT = "127.0.0.2"
TOKEN = "WzEsImM0ZjdhMmI5ZTFkMDNjNTYiXQ.Q2xpZW50U2VjcmV0U2lnbmF0dXJl"


def send_raw(url, data):
    """``data`` as sent, from ``CLIENT``: request lines no HTTP library would write."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10, source_address=(CLIENT, 0)) as sock:
        sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def spellings(token):
    """Paths that reach (or aim at) the token's views, as clients may spell them."""
    return [
        f"/unsubscribe/{token}", f"//unsubscribe/{token}", f"/unsubscribe//{token}", f"///confirm/{token}",
        f"/confirm/{token}/", f"/%75nsubscribe/{token}", f"/unsubscribe%2F{token}", f"/%63onfirm%2f{token}",
        f"/UNSUBSCRIBE/{token}", f"/unsubscribe/{token}/resubscribe", f"/unsubscribe/{token}?lang=ur",
    ]


def assert_private(logs, *secrets):
    for secret in secrets:
        assert secret not in logs, f"{secret!r} in the logs:\n{logs[-3000:]}"


def test_no_spelling_of_a_link_path_puts_its_token_in_a_log(served):
    instance = served()
    for path in spellings(TOKEN):
        answer = send_raw(instance.url, f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
        assert answer.startswith((b"HTTP/1.1 4", b"HTTP/1.1 3")), (path, answer[:200])
    requests.post(f"{instance.url}//unsubscribe/{TOKEN}", data={"List-Unsubscribe": "One-Click"}, timeout=5)
    # Request lines gunicorn refuses itself, which its error log quotes.
    for line in (f"GET /confirm/{TOKEN}\r\n\r\n", f"GET  //unsubscribe/{TOKEN} HTTP/1.1\r\n\r\n",
                 f"GET /confirm/{TOKEN}\x01 HTTP/1.1\r\n\r\n"):
        assert send_raw(instance.url, line.encode()).startswith(b"HTTP/1.1 400")
    instance.stop()
    logs = instance.logs()
    assert_private(logs, TOKEN, TOKEN.split(".")[0], TOKEN.split(".")[1], CLIENT)
    assert "Invalid request from ip=[ip]: Invalid HTTP request line: 'GET /confirm/…'" in logs
    assert '"GET //unsubscribe/…" 400' in logs and '"GET /unsubscribe/…/resubscribe" 400' in logs
    assert "Listening at: http://127.0.0.1:" in logs  # the service's own address is no client's


def test_an_exception_on_a_link_path_logs_no_token(make_app, served, tmp_path):
    """A database the service cannot read (not a database file at all): a 500 with its traceback
    in the log, but the path in Flask's "Exception on ..." line without its token."""
    app = make_app()
    with app.app_context():
        token = unsubscribe_token(Subscription(id=1, campaign_id=1, email_canonical="pat@example.org"))
    broken = tmp_path / "not-a-database.sqlite3"
    broken.write_bytes(b"this is not a database\n" * 512)
    instance = served(WIDGET_DATABASE_URL=f"sqlite:///{broken}")
    for method, path in (("GET", f"/confirm/{token}"), ("GET", f"//unsubscribe/{token}"),
                         ("POST", f"/unsubscribe/{token}"), ("POST", f"/confirm//{token}")):
        answer = send_raw(instance.url, f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n"
                                        f"Connection: close\r\n\r\n".encode())
        assert answer.startswith((b"HTTP/1.1 500", b"HTTP/1.1 308")), (path, answer[:200])
    instance.stop()
    logs = instance.logs()
    assert "Exception on /confirm/… [GET]" in logs and "Exception on /unsubscribe/… [POST]" in logs, logs[-3000:]
    assert_private(logs, token, *token.split("."), CLIENT, "pat@example.org")
