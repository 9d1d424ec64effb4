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
def stats_link(app, runner):
    """A new statistics link for a partner (the CLI prints it): its path."""

    def make(key):
        previous, app.config["PUBLIC_URL"] = app.config["PUBLIC_URL"], "https://widgets.example"
        try:
            result = runner.invoke(args=["partners", "rotate-stats-link", key])
        finally:
            app.config["PUBLIC_URL"] = previous
        assert result.exit_code == 0, result.output
        return re.search(r"(/partners/stats/\S+)", result.output).group(1)

    return make


def sign_from(widget, slug, ref=None, origin=None, **fields):
    body = {key: value for key, value in (("ref", ref), ("origin", origin)) if value is not None}
    response = widget.sign(slug, **body, **fields)
    assert response.status_code == 202, response.data
    return response

