"""Moderation pages (admins): what a campaign's signatures look like in a time window (a bot
wave), a selection's numbers, and holding its signatures back or restoring them, after a
confirmation that shows how many."""
from datetime import timedelta

from flask import redirect, render_template, request
from flask_babel import get_locale, lazy_gettext as _l
from sqlalchemy import select

from ..campaigns import find_campaign
from ..counting import current_count
from ..extensions import db
from ..models import Campaign, Signature
from ..signing import confirmation_required
from . import audit, bp
from . import moderation_domain as domain
from .auth import console_url, role_required

ACTIONS = {
    "hold": (domain.hold_back, "moderation.hold_back"),
    "restore": (domain.restore, "moderation.restore"),
}
STATE_NAMES = {
    Signature.COUNTED: _l("Counted"),
    Signature.SUSPECT: _l("Held back"),
    Signature.PENDING: _l("Waiting for email confirmation"),
}


def campaign_choices():
    """``[(slug, title)]`` of every campaign, in the page's language, for the campaign menus."""
    lang = str(get_locale())
    campaigns = db.session.scalars(select(Campaign).order_by(Campaign.created_at.desc(), Campaign.slug)).all()
    return [(campaign.slug, campaign.text(lang).title if campaign.texts else campaign.slug) for campaign in campaigns]


def chosen_campaign(source, choices):
    """The campaign the form names, or the only one there is; None when one must be chosen."""
    slug = source.get("campaign") or (choices[0][0] if len(choices) == 1 else "")
    return find_campaign(slug) if slug else None


@bp.get("/moderation")
@role_required("admin")
def moderation():
    choices = campaign_choices()
    campaign = chosen_campaign(request.args, choices)
    if campaign is None:
        return render_template("console/moderation.html", choices=choices, campaign=None, args={}, errors={})
    selection, errors = domain.parse_selection(campaign.id, request.args)
    if errors:
        return _page(campaign, choices, None, errors, 422)
    return _page(campaign, choices, selection)


def _page(campaign, choices, selection, errors=None, status=200):
    context = {"args": request.args.to_dict(), "errors": errors or {}}
    if selection is not None:
        context.update(
            args=selection.as_args(),
            states=domain.states_in(selection),
            restorable=domain.restorable_count(selection),
            wave=domain.wave(selection),
            selection=selection,
            confirming=confirmation_required(campaign),
        )
    return render_template(
        "console/moderation.html", choices=choices, campaign=campaign, count=current_count(campaign.id),
        state_names=STATE_NAMES, local=domain.format_time, done=_done(), wave_chart=wave_chart,
        minute_step=timedelta(minutes=1), **context,
    ), status


def wave_chart(wave, selection):
    """The wave's bars: one unit wide per minute (or hour) from the window's start, 100 high
    at the busiest; ``{"width", "bars": [(x, height)], "peak"}``."""
    unit = 60 if wave["unit"] == "minute" else 3600
    start = selection.since.replace(second=0, microsecond=0)
    if unit == 3600:
        start = start.replace(minute=0)
    width = max(1, -(-int((selection.until - start).total_seconds()) // unit))
    peak = max((n for _, n in wave["series"]), default=0)
    bars = [
        (int((bucket - start).total_seconds()) // unit, max(1, round(n * 100 / peak)))
        for bucket, n in wave["series"]
    ]
    return {"width": width, "bars": bars, "peak": peak}


def _done():
    """What the last action did, as the redirect after it tells: ``(action, number)``."""
    action, number = request.args.get("done"), request.args.get("changed", "")
    if action in ACTIONS and number.isdigit() and len(number) < 10:
        return action, int(number)
    return None


@bp.get("/moderation/confirm")
@role_required("admin")
def confirm_moderation():
    """The confirmation step: how many signatures the action would change, and a button."""
    action = request.args.get("action")
    campaign = find_campaign(request.args.get("campaign") or "")
    selection, errors = domain.parse_selection(campaign.id, request.args)
    if action not in ACTIONS or errors:
        return _page(campaign, campaign_choices(), None, errors or {"action": _l("Choose an action.")}, 422)
    number = domain.states_in(selection)[Signature.COUNTED] if action == "hold" else domain.restorable_count(selection)
    return _confirmation(campaign, selection, action, number)


def _confirmation(campaign, selection, action, number, changed=False, status=200):
    return render_template(
        "console/moderation_confirm.html", campaign=campaign, selection=selection, action=action, number=number,
        changed=changed, args=selection.as_args(), state_names=STATE_NAMES, local=domain.format_time,
        count=current_count(campaign.id),
    ), status


@bp.post("/moderation/<any(hold, restore):action>")
@role_required("admin")
def moderate(action):
    """Hold back or restore the confirmed selection; refused (nothing changed) when it no
    longer holds the number confirmed."""
    campaign = find_campaign(request.form.get("campaign") or "")
    selection, errors = domain.parse_selection(campaign.id, request.form)
    expected = request.form.get("expected", "")
    if not (expected.isdigit() and len(expected) < 10):
        errors = {**errors, "expected": _l("Confirm the number first.")}
    if errors:
        return _page(campaign, campaign_choices(), None, errors, 422)
    act, name = ACTIONS[action]

    def record(number):
        audit.record(name, target=campaign.slug, details={**selection.as_args(), "signatures": number}, commit=False)

    try:
        number = act(selection, int(expected), record)
    except domain.SelectionChanged as change:
        return _confirmation(campaign, selection, action, change.now, changed=True, status=409)
    done = {**selection.as_args(), "campaign": campaign.slug, "done": action, "changed": number}
    return redirect(console_url("console.moderation", **done), 303)
