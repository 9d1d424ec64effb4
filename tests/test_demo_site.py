"""The demo ally's site (demo/allied_site.py) as a visitor finds it: an icon of its own, and on
every page a link to the same page in the other language."""
import threading
import urllib.request

import pytest

from demo import allied_site

from .test_front_page import Links, check_icon


@pytest.fixture
def demo_site():
    server = allied_site.make_server("127.0.0.1", 0, "http://127.0.0.1:9")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def get(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.headers.get_content_type(), response.read()


def test_the_demo_site_has_an_icon_of_its_own(demo_site, client):
    status, content_type, data = get(f"{demo_site}/favicon.ico")
    assert status == 200
    check_icon(data, content_type)
    assert data != client.get("/favicon.ico").data, "the ally's site is not MSP's"


@pytest.mark.parametrize(("path", "other", "label"), [
    ("/", "/ur", "اردو"), ("/ur", "/", "English"),
    ("/donate", "/ur/donate", "اردو"), ("/ur/donate", "/donate", "English"),
    ("/act", "/ur/act", "اردو"), ("/ur/act", "/act", "English"),
])
def test_every_demo_page_links_the_same_page_in_the_other_language(demo_site, path, other, label):
    status, _, data = get(demo_site + path)
    html = data.decode()
    assert status == 200
    [switch] = [link for link in Links(html).links if link.get("hreflang")]
    assert switch["href"] == other and switch["lang"] == switch["hreflang"] == ("ur" if label == "اردو" else "en")
    assert f">{label}</a>" in html
    assert get(demo_site + other)[0] == 200
