"""The console's alert form through the documented deployment (nginx from
``deploy/nginx/msp-widgets.conf`` in front of gunicorn): a long Urdu alert passes nginx's body
limit, which stays a signature's 16 KB elsewhere."""
import re

import pytest
import requests

from ..console.conftest import make_staff
from ..test_slow_clients import SLUG, proxy, service  # noqa: F401  (fixtures)

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def test_a_long_urdu_alert_passes_through_nginx(proxy, make_app):  # noqa: F811
    account = make_staff(make_app(create_schema=False, SECRET_KEY="s" * 48), "admin")
    browser = requests.Session()
    browser.verify, browser.trust_env = proxy.cert, False

    def token(path):
        page = browser.get(proxy.url + path, timeout=10)
        return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    def post(path, **kwargs):
        return browser.post(proxy.url + path, headers={"Referer": "https://127.0.0.1" + path}, allow_redirects=False,
                            timeout=30, **kwargs)

    signed_in = post("/console/sign-in", data={"csrf_token": token("/console/sign-in"), "email": account.email,
                                               "password": account.password, "code": account.code()})
    assert signed_in.status_code == 302, signed_in.text[:300]
    long_urdu = ("ووٹ جمعہ کو ہے۔ " * 1200).strip()  # about 100 KB as the form sends it
    made = post("/console/alerts/new", data={
        "csrf_token": token("/console/alerts/new"), "campaign": SLUG, "subject_en": "Vote on Friday",
        "text_en": "The vote is on Friday.", "subject_ur": "جمعہ کو ووٹ", "text_ur": long_urdu})
    assert made.status_code == 303, made.text[:300]
