"""Allied organisations: partners, their statistics, the embed policy and the snippet builder.

``init_app`` is the one thing the factory calls. The core never imports this package; it
imports the core and the console (the console's views of partners hang off the console's
blueprint, so they are imported here, before any app registers that blueprint).
"""
from flask import Blueprint

bp = Blueprint("allies", __name__, template_folder="templates", static_folder="static", static_url_path="/allies/static")

from . import console_views, models, views  # noqa: E402,F401  (tables for db.metadata; views on the bps)
from . import policy  # noqa: E402
from .cli import partners_cli  # noqa: E402


def init_app(app):
    """Register the allies' pages and the partners' CLI."""
    app.register_blueprint(bp)
    policy.init_app(app)
    app.cli.add_command(partners_cli)
