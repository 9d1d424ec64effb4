"""The console's alerts pages (admins): write an alert, preview it, send a test to one's own
address, send it, pause and resume it, watch its progress. The same verbs as ``flask alerts``
(``alerts.py``), audited like the console's other actions. They hang off the console's
blueprint, so its gate (sign-in, role, CSRF), headers and error pages apply."""
from flask import abort, redirect, render_template, request
from flask_babel import force_locale, lazy_gettext as _l
from sqlalchemy import select

from ..console import audit, bp
from ..console.auth import console_url, current_staff, larger_body, role_required
from ..extensions import db
from ..models import Campaign
from . import alerts, messages
from .models import Alert

REASONS = {
    "campaign": _l("Choose a campaign."),
    "subject_en": _l("Write the English subject: one line, at most 200 characters."),
    "subject_ur": _l("Write the Urdu subject: one line, at most 200 characters."),
    "text_en": _l("Write the English text (at most 20,000 characters)."),
    "text_ur": _l("Write the Urdu text (at most 20,000 characters)."),
    "state": _l("The alert cannot do that in its present state (shown below)."),
    "untested": _l("Send yourself a test of the current text first."),
    "test_pending": _l("The test mail has not been delivered yet: wait a minute, then send."),
    "address": _l("Your account's address cannot take a test mail."),
    "limit": _l("Your address has had its mails for today: no test was sent."),
}
DONE = {
    "created": _l("The alert is saved as a draft. Check the preview, then send yourself a test."),
    "tested": _l("A test in each language is on its way to your address."),
    "sent": _l("The alert is being sent. Its progress is below."),
    "paused": _l("The alert is paused."),
    "resumed": _l("The alert is being sent again."),
}
STATES = {Alert.DRAFT: _l("draft"), Alert.SENDING: _l("being sent"), Alert.PAUSED: _l("paused"), Alert.SENT: _l("sent")}
FIELDS = ("subject_en", "text_en", "subject_ur", "text_ur")
# Two texts of up to 20,000 characters, URL-encoded (an Urdu letter is 6 bytes so): far over the
# body limit sized for a signature (WIDGET_MAX_BODY_BYTES).
ALERT_FORM_BYTES = 2 * 6 * alerts.TEXT_MAX + 64 * 1024


def _alert(alert_id):
    alert = db.session.get(Alert, alert_id) if alert_id < 2**31 else None
    if alert is None:
        abort(404)
    return alert


def _campaigns():
    return db.session.execute(select(Campaign.slug).order_by(Campaign.created_at.desc())).scalars().all()


@bp.get("/alerts")
@role_required("admin")
def alerts_page():
    listed = db.session.scalars(select(Alert).order_by(Alert.id.desc())).all()
    return render_template("mail/console_alerts.html", listed=listed, states=STATES)


@bp.route("/alerts/new", methods=["GET", "POST"])
@role_required("admin")
@larger_body(ALERT_FORM_BYTES)
def new_alert():
    form, error = request.form if request.method == "POST" else {}, None
    if request.method == "POST":
        try:
            alert = alerts.create(form.get("campaign") or "", **{name: form.get(name) for name in FIELDS})
        except alerts.AlertError as refused:
            error = refused.reason
        else:
            audit.record("alert.create", target=alert.campaign.slug, details={"alert": alert.id})
            return redirect(console_url("console.alert_page", alert_id=alert.id, done="created"), 303)
    return render_template("mail/console_alert_new.html", form=form, campaigns=_campaigns(), error=error,
                           message=REASONS.get(error)), 422 if error else 200


@bp.get("/alerts/<int:alert_id>")
@role_required("admin")
def alert_page(alert_id):
    return _page(_alert(alert_id))


def _page(alert, error=None, status=200):
    previews = {}
    for lang in alerts.LANGUAGES:
        with force_locale(lang):
            draft = alerts.preview(alert, lang)
            previews[lang] = (str(draft.subject), messages.render_body(draft, lang, "txt"))
    return render_template(
        "mail/console_alert.html", alert=alert, previews=previews, progress=alerts.progress(alert), states=STATES,
        tested=alert.tested_digest == alerts.digest(alert), staff_email=current_staff().email,
        done=DONE.get(request.args.get("done")), message=REASONS.get(error),
    ), status


@bp.post("/alerts/<int:alert_id>/<any(test, send, pause, resume):action>")
@role_required("admin")
def alert_action(alert_id, action):
    alert = _alert(alert_id)
    try:
        if action == "test":
            alerts.test(alert, current_staff().email)
        else:
            getattr(alerts, action)(alert)
    except alerts.AlertError as refused:
        db.session.rollback()
        return _page(alert, refused.reason, 409)
    details = {"alert": alert.id}
    if action == "send":
        details["subscribers"] = alerts.progress(alert)["total"]
    audit.record(f"alert.{action}", target=alert.campaign.slug, details=details)
    done = {"test": "tested", "send": "sent", "pause": "paused", "resume": "resumed"}[action]
    return redirect(console_url("console.alert_page", alert_id=alert.id, done=done), 303)
