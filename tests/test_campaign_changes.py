"""``campaigns.change_campaign``: the one place where MSP's console and ``flask campaigns set``
change a campaign's goal, closing time and switches."""
from datetime import datetime

import pytest

from widget_service.campaigns import change_campaign, find_campaign, retention_days
from widget_service.errors import ValidationFailed
from widget_service.extensions import db


def test_only_what_is_given_changes_and_none_means_the_default(app, campaign):
    closes = datetime(2027, 1, 1, 12, 0)
    with app.app_context():
        shown = find_campaign(campaign)
        shown.settings = {"embed": "partners", "captcha": True}
        change_campaign(shown, goal=5000, closes_at=closes, captcha=False, retention_days=30)
        db.session.commit()
        assert (shown.goal, shown.closes_at) == (5000, closes)
        assert shown.settings == {"embed": "partners", "captcha": False, "retention_days": 30}
        change_campaign(shown, confirm_signatures=True, retention_days=None)
        db.session.commit()
        assert (shown.goal, shown.closes_at) == (5000, closes), "not given: unchanged"
        assert shown.settings == {"embed": "partners", "captcha": False, "confirm_signatures": True}
        assert retention_days(shown) == app.config["RETENTION_DAYS"]
        change_campaign(shown, closes_at=None)
        assert shown.closes_at is None


@pytest.mark.parametrize("changes, field", [
    ({"goal": -1}, "goal"),
    ({"goal": "100"}, "goal"),
    ({"goal": True}, "goal"),
    ({"captcha": "yes"}, "captcha"),
    ({"retention_days": 3651}, "retention_days"),
    ({"retention_days": -1}, "retention_days"),
    ({"retention_days": 2.5}, "retention_days"),
    ({"embed": "open"}, "embed"),  # the embed policy has its own verb (allies.policy.set_policy)
    ({"goal": 10, "captcha": 1}, "captcha"),  # one bad value: nothing at all changes
])
def test_an_invalid_change_changes_nothing(app, campaign, changes, field):
    with app.app_context():
        shown = find_campaign(campaign)
        before = (shown.goal, shown.closes_at, dict(shown.settings or {}))
        with pytest.raises(ValidationFailed) as refused:
            change_campaign(shown, **changes)
        assert set(refused.value.errors) == {field}
        assert (shown.goal, shown.closes_at, dict(shown.settings or {})) == before
