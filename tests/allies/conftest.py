"""Allies' fixtures: the console's (signed-in staff clients) and a partner made by the CLI."""
import re

import pytest

from tests.console.conftest import console_client, post_form, staff  # noqa: F401  (fixtures used here)


@pytest.fixture
def make_partner(runner):
    """Register a partner through the CLI: ``make_partner("quetta-net", origins=[...])``."""

    def make(key, name="Quetta Network", email="contact@quetta.example", origins=()):
        args = ["partners", "create", key, name, email]
        for origin in origins:
            args += ["--origin", origin]
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
        return key

    return make


@pytest.fixture
def stats_link(runner):
    """A new statistics link for a partner (the CLI prints it): its path."""

    def make(key):
        result = runner.invoke(args=["partners", "rotate-stats-link", key])
        assert result.exit_code == 0, result.output
        return re.search(r"(/partners/stats/\S+)", result.output).group(1)

    return make


def sign_from(widget, slug, ref=None, origin=None, **fields):
    body = {key: value for key, value in (("ref", ref), ("origin", origin)) if value is not None}
    response = widget.sign(slug, **body, **fields)
    assert response.status_code == 202, response.data
    return response


def signing_client(app):
    return app.test_client()


def redirect_to(response, path):
    assert response.status_code == 303, response.get_data(as_text=True)
    assert path in response.headers["Location"]


def __getattr__(name):  # keep post_form importable from here for the tests
    if name == "post_form":
        return post_form
    raise AttributeError(name)
