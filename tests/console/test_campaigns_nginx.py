"""The console's campaign uploads and exports through the documented deployment: nginx from
``deploy/nginx/msp-widgets.conf`` in front of gunicorn (the fixtures of tests/test_slow_clients.py).
nginx keeps a signature's 16 KB body limit everywhere else, and lets a campaign's file through."""
import re

import requests

from ..test_attachments import PDF
from ..test_slow_clients import SLUG, proxy, service  # noqa: F401  (fixtures)
from .conftest import make_staff

pytestmark = __import__("pytest").mark.parametrize("database_url", ["postgresql"], indirect=True)


def test_a_large_upload_and_an_export_pass_through_nginx(proxy, make_app):  # noqa: F811
    # The staff account is made with the served app's secret key: its TOTP secret is sealed with it.
    account = make_staff(make_app(create_schema=False, SECRET_KEY="s" * 48), "admin")
    browser = requests.Session()
    browser.verify, browser.trust_env = proxy.cert, False  # else REQUESTS_CA_BUNDLE wins over verify

    def token(path):
        page = browser.get(proxy.url + path, timeout=10)
        return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    def post(path, referer, **kwargs):
        # Over HTTPS Flask-WTF checks that a form comes from the console's own pages: the Host
        # nginx passes on ($host) has no port.
        return browser.post(proxy.url + path, headers={"Referer": "https://127.0.0.1" + referer}, allow_redirects=False,
                            timeout=30, **kwargs)

    signed_in = post("/console/sign-in", "/console/sign-in", data={
        "csrf_token": token("/console/sign-in"), "email": account.email, "password": account.password,
        "code": account.code()})
    assert signed_in.status_code == 302, signed_in.text[:300]

    page = f"/console/campaigns/{SLUG}"
    report = PDF + b"%" * (3 * 1024 * 1024)
    uploaded = post(f"{page}/files/report", page, data={"csrf_token": token(page), "action": "upload"},
                    files={"file": ("report.pdf", report, "application/pdf")})
    assert uploaded.status_code == 303, uploaded.text[:300]
    assert requests.get(f"{proxy.url}/c/{SLUG}/report", verify=proxy.cert, timeout=10).content == report

    signing = requests.post(f"{proxy.url}/api/v1/campaigns/{SLUG}/signatures", verify=proxy.cert, timeout=10,
                            json={"name": "Via Nginx", "email": "via-nginx@example.org", "country": "PK",
                                  "comment": "x" * 20_000})
    assert signing.status_code == 413  # the rest keeps the signature's limit

    exported = post("/console/exports", "/console/exports", stream=True,
                    data={"csrf_token": token("/console/exports"), "campaign": SLUG, "kind": "signatures"})
    assert exported.status_code == 200 and exported.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert b"".join(exported.iter_content(65536)).startswith("\ufeffcreated_at,name,email".encode())
