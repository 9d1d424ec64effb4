"""The access table (tests/console/routes.py) lists every console route: a new view without a
row there fails here, so no console page escapes the access tests."""
from urllib.parse import urlsplit

from .routes import ROUTES


def test_every_console_route_is_in_the_access_table(app):
    adapter = app.url_map.bind("localhost")
    listed = set()
    for route in ROUTES:
        path = urlsplit(route.path.format(slug="some-campaign")).path
        endpoint, _ = adapter.match(path, method=route.method)
        listed.add((endpoint, route.method))
    every = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/console")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert every - listed == set()
