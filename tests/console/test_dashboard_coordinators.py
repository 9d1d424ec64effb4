"""The dashboard's offers to coordinate: only received offers count; one still waiting for its
mailbox's confirmation is nobody MSP may call on yet, and a bot's is held back."""
import re

from ..test_coordinators import API, offer
from .test_dashboard import signed_in


def regions(html):
    section = re.search(r'aria-labelledby="coordinators">(.*?)</section>', html, re.S).group(1)
    return {name: int(n) for name, n in re.findall(r'<th scope="row">([^<]+)</th><td class="num">(\d+)</td>', section)}


def test_pending_offers_are_not_counted_as_offers(app, client, runner, campaign):
    assert client.post(API.format(campaign), json=offer(region="PK-BA")).status_code == 202
    assert client.post(API.format(campaign), json=offer(region="PK-BA", website="http://spam.example")).status_code == 202
    assert "confirm signatures on" in runner.invoke(args=["campaigns", "set", campaign, "--confirm-signatures"]).output
    for region in ("PK-BA", "PK-SD"):  # waiting for their mailboxes' confirmation
        assert client.post(API.format(campaign), json=offer(region=region)).status_code == 202
    html = signed_in(app).get(f"/console/dashboard/{campaign}").get_data(as_text=True)
    shown = regions(html)
    assert (shown["Balochistan"], shown["Sindh"]) == (1, 0)
    assert "1 more held back: caught by the bot checks." in html
    assert "2 more waiting for their senders to confirm them by mail." in html
