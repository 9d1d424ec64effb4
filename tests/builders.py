"""Builders for test data: each returns a valid object, changed by its overrides."""
import itertools

from widget_service.campaigns import create_campaign

_serial = itertools.count(1)


def make_campaign(slug=None, goal=1000, texts=None, **fields):
    texts = texts or {
        "en": {"title": "Stand up", "summary": "A summary.", "petition_text": "Demand one.\nWhy.\n\nDemand two."},
        "ur": {"title": "کھڑے ہوں", "summary": "خلاصہ", "petition_text": "مطالبہ", "is_draft": True},
    }
    return create_campaign(slug or f"campaign-{next(_serial)}", goal, texts, **fields)


def signature(**overrides):
    """A valid signing request body."""
    n = next(_serial)
    data = {"name": f"Supporter {n}", "email": f"supporter{n}@example.org", "country": "PK"}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not ...}
