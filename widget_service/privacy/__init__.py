"""The supporters' personal data over time: erased a retention period after a campaign closes
(``flask retention apply``), shown to and erased at the request of one person (``flask
supporters show/forget``). Counts and statistics never change: rows are kept with their
personal fields erased (``erasure``)."""


def init_app(app):
    """``flask retention`` and ``flask supporters``."""
    from .cli import retention_cli, supporters_cli

    app.cli.add_command(retention_cli)
    app.cli.add_command(supporters_cli)
