"""Mail: the outbox, its worker, the mails and the pages their links open.

The core never imports this package. Where the core stores something that must cause a mail,
it sends a signal (``widget_service.events``) inside that transaction; ``init_app`` connects the
receivers here, which add an outbox row to the same transaction.
"""
from .. import events
from ..config import ConfigError
from . import models  # noqa: F401  (the outbox table, for create_all and migrations)
from . import alerts_cli, cli, coordinators, messages, signatures, subscriptions, transport, views
from . import console_views  # noqa: F401  (the console's alerts pages register on its blueprint)


def init_app(app):
    transport.parse(app.config["SMTP_URL"])  # a wrong URL stops the start, with what is wrong
    if app.config["SMTP_URL"] and not app.config["MAIL_FROM"] and app.config["WIDGET_ENV"] == "production":
        raise ConfigError("WIDGET_MAIL_FROM must be set (such as Minority Support Pakistan <campaigns@example.org>)")
    if bool(app.config["DKIM_KEY_FILE"]) != bool(app.config["DKIM_SELECTOR"]):
        raise ConfigError("WIDGET_DKIM_KEY_FILE and WIDGET_DKIM_SELECTOR go together")
    app.extensions["msp_dkim_key"] = messages.load_dkim_key(app.config["DKIM_KEY_FILE"], app.config["DKIM_SELECTOR"])
    app.register_blueprint(views.bp)
    app.cli.add_command(cli.mail_cli)
    app.cli.add_command(alerts_cli.alerts_cli)
    events.subscription_created.connect(subscriptions.on_created, sender=app, weak=False)
    events.subscription_confirmed.connect(subscriptions.on_confirmed, sender=app, weak=False)
    events.signature_pending.connect(signatures.on_pending, sender=app, weak=False)
    events.coordinator_pending.connect(coordinators.on_pending, sender=app, weak=False)
