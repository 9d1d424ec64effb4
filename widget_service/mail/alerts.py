"""Action alerts: MSP writes one for a campaign's confirmed subscribers, tests it, sends it.

The verbs here are what the CLI (``flask alerts``) calls. ``send`` only marks the alert
``sending``: the workers queue it for the subscribers, throttled (``fanout.pump``), and deliver
it through the outbox like every mail, so an alert has the outbox's guarantees (never twice,
retried, nothing lost while the SMTP server is down). Each mail is written when it is sent, from
the alert and the subscription: a subscriber who unsubscribed meanwhile gets nothing more.

Bad input raises ``AlertError`` with a one-line message and changes nothing.
"""
import hashlib
import json
from types import SimpleNamespace

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from ..extensions import db
from ..mailboxes import canonical_email
from ..models import Campaign, Subscription, utcnow
from ..sharing import public_base
from ..subscriptions import unsubscribe_url
from ..validation import clean_email
from . import outbox
from .messages import Draft, Held, builder
from .models import Alert, AlertRecipient, OutboxMail
from .subscriptions import unsubscribe_headers

ALERT = "alert"  # ref_id: an AlertRecipient
ALERT_TEST = "alert_test"  # ref_id: the Alert
LANGUAGES = ("en", "ur")
SUBJECT_MAX = 200
TEXT_MAX = 20000
# Queued mails of a paused alert wait until this (``resume`` makes them due again).
PAUSED_UNTIL = outbox.PAUSED_UNTIL
LANGUAGE_NAMES = {"en": "English", "ur": "Urdu"}


class AlertError(Exception):
    """Refused: the message says why, in one line; ``reason`` names it for the console, which
    says it in the page's language (a form field such as ``subject_ur``, or ``state``,
    ``untested``, ``test_pending``, ``address``, ``limit``, ``campaign``)."""

    def __init__(self, message, reason):
        super().__init__(message)
        self.reason = reason


def _clean(texts):
    """``texts``: subject_en, text_en, subject_ur, text_ur (str); stripped, or ``AlertError``."""
    clean = {}
    for lang in LANGUAGES:
        name = LANGUAGE_NAMES[lang]
        subject = (texts.get(f"subject_{lang}") or "").strip()
        body = (texts.get(f"text_{lang}") or "").replace("\r\n", "\n").strip()
        if not subject:
            raise AlertError(f"the {name} subject is empty", f"subject_{lang}")
        if len(subject) > SUBJECT_MAX or any(ord(char) < 32 for char in subject):
            raise AlertError(f"the {name} subject must be one line of at most {SUBJECT_MAX} characters", f"subject_{lang}")
        if not body:
            raise AlertError(f"the {name} text is empty", f"text_{lang}")
        if len(body) > TEXT_MAX:
            raise AlertError(f"the {name} text is longer than {TEXT_MAX} characters", f"text_{lang}")
        clean[f"subject_{lang}"], clean[f"text_{lang}"] = subject, body
    return clean


def digest(alert):
    """What a test mail must have shown: the four texts."""
    texts = [alert.subject_en, alert.text_en, alert.subject_ur, alert.text_ur]
    return hashlib.sha256(json.dumps(texts, ensure_ascii=False).encode()).hexdigest()


def get(alert_id):
    alert = db.session.get(Alert, alert_id)
    if alert is None:
        raise AlertError(f"there is no alert {alert_id} (flask alerts list shows them)", "alert")
    return alert


def create(slug, **texts):
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == slug))
    if campaign is None:
        raise AlertError(f"there is no campaign {slug!r} (flask campaigns list shows them)", "campaign")
    alert = Alert(campaign_id=campaign.id, state=Alert.DRAFT, **_clean(texts))
    db.session.add(alert)
    db.session.commit()
    return alert


def edit(alert, **changes):
    """Change a draft's texts (those given); a changed text needs a new test before ``send``."""
    if alert.state != Alert.DRAFT:
        raise AlertError(f"alert {alert.id} is {alert.state}: only a draft can be changed", "state")
    current = {name: getattr(alert, name) for name in ("subject_en", "text_en", "subject_ur", "text_ur")}
    current.update({name: value for name, value in changes.items() if value is not None})
    for name, value in _clean(current).items():
        setattr(alert, name, value)
    db.session.commit()


def texts(alert, lang):
    """The alert's subject and text in ``lang`` (English for a language it is not written in)."""
    lang = lang if lang in LANGUAGES else "en"
    return getattr(alert, f"subject_{lang}"), getattr(alert, f"text_{lang}")


def test(alert, address, langs=LANGUAGES):
    """Queue a test mail of the alert's current text to ``address``, one per language in
    ``langs``; ``send`` is allowed once it is delivered."""
    email, _error = clean_email(address)
    if email is None:  # (its message is the supporters', in the request's language)
        raise AlertError(f"{address!r} is not an email address", "address")
    canonical, asked = canonical_email(email), utcnow()  # (before its mails: send looks for mails since)
    for lang in langs:
        row = SimpleNamespace(id=alert.id, campaign_id=alert.campaign_id, email=email, email_canonical=canonical, lang=lang)
        if not outbox.enqueue(db.session, ALERT_TEST, row):
            db.session.rollback()
            raise AlertError("that address has had its mails for today (WIDGET_MAIL_DAILY_LIMIT): test with another", "limit")
    alert.tested_digest, alert.tested_at = digest(alert), asked
    db.session.commit()


def _test_states(alert):
    return set(db.session.scalars(select(OutboxMail.state).where(
        OutboxMail.kind == ALERT_TEST, OutboxMail.ref_id == alert.id, OutboxMail.created_at >= alert.tested_at)))


def send(alert):
    """Start sending to every confirmed subscriber (the workers queue them, throttled)."""
    if alert.state != Alert.DRAFT:
        raise AlertError(f"alert {alert.id} is {alert.state} already (flask alerts show {alert.id})", "state")
    if alert.tested_digest != digest(alert):
        raise AlertError(f"send a test of alert {alert.id}'s current text first: flask alerts test {alert.id} --to ADDRESS", "untested")
    states = _test_states(alert)  # none: done and purged from the outbox since
    if states and OutboxMail.SENT not in states:
        raise AlertError(f"the test mail of alert {alert.id} has not been delivered yet ({', '.join(sorted(states))}): "
                         "run flask mail work, see flask mail status", "test_pending")
    moved = db.session.execute(update(Alert).where(Alert.id == alert.id, Alert.state == Alert.DRAFT)
                               .values(state=Alert.SENDING, started_at=utcnow()))
    db.session.commit()
    if moved.rowcount != 1:
        raise AlertError(f"alert {alert.id} was sent meanwhile", "state")


def _its_queued_mails(alert):
    recipients = select(AlertRecipient.id).where(AlertRecipient.alert_id == alert.id)
    return (OutboxMail.kind == ALERT, OutboxMail.state == OutboxMail.QUEUED, OutboxMail.ref_id.in_(recipients))


def pause(alert):
    """Queue no more, and hold its mails still in the outbox (a batch a worker holds goes)."""
    moved = db.session.execute(update(Alert).where(Alert.id == alert.id, Alert.state.in_((Alert.SENDING, Alert.SENT)))
                               .values(state=Alert.PAUSED))
    if moved.rowcount != 1:
        db.session.rollback()
        raise AlertError(f"alert {alert.id} is {alert.state}: only one being sent can be paused", "state")
    db.session.execute(update(OutboxMail).where(*_its_queued_mails(alert)).values(next_attempt_at=PAUSED_UNTIL),
                       execution_options={"synchronize_session": False})
    db.session.commit()


def resume(alert):
    state = Alert.SENT if alert.finished_at is not None else Alert.SENDING
    moved = db.session.execute(update(Alert).where(Alert.id == alert.id, Alert.state == Alert.PAUSED).values(state=state))
    if moved.rowcount != 1:
        db.session.rollback()
        raise AlertError(f"alert {alert.id} is {alert.state}, not paused", "state")
    db.session.execute(update(OutboxMail).where(*_its_queued_mails(alert), OutboxMail.next_attempt_at >= PAUSED_UNTIL)
                       .values(next_attempt_at=utcnow()), execution_options={"synchronize_session": False})
    db.session.commit()


def eligible(campaign_id):
    """Who an alert goes to: confirmed subscriptions that have not unsubscribed, and whose
    address was not erased (``flask supporters forget`` and retention keep the row, its state
    included, for the counts, and blank the address)."""
    return (Subscription.campaign_id == campaign_id, Subscription.confirmed_at.is_not(None),
            Subscription.unsubscribed_at.is_(None), Subscription.email != "")


def progress(alert):
    """How far it got: total, waiting (not queued yet), queued, sent, failed, cancelled
    (unsubscribed meanwhile), limited (the daily limit), expired (done, purged from the outbox)."""
    recipients, limited = db.session.execute(
        select(func.count(), func.count().filter(AlertRecipient.limited))
        .where(AlertRecipient.alert_id == alert.id)).one()
    states = dict(db.session.execute(
        select(OutboxMail.state, func.count()).join(AlertRecipient, AlertRecipient.id == OutboxMail.ref_id)
        .where(OutboxMail.kind == ALERT, AlertRecipient.alert_id == alert.id).group_by(OutboxMail.state)).all())
    waiting = 0
    if alert.finished_at is None:
        waiting = db.session.scalar(select(func.count()).select_from(Subscription)
                                    .where(*eligible(alert.campaign_id), Subscription.id > alert.queued_through))
    counts = {state: states.get(state, 0) for state in OutboxMail.STATES}
    counts.update(total=recipients + waiting, waiting=waiting, limited=limited,
                  expired=recipients - limited - sum(states.values()))
    return counts


def _paragraphs(text):
    return [block.split("\n") for block in text.split("\n\n") if block.strip()]


def _draft(alert, lang, subject, context, headers=None):
    title = alert.campaign.text(lang).title
    text = texts(alert, lang)[1]
    return Draft(subject, "alert", {"title": title, "text": text, "paragraphs": _paragraphs(text), **context}, headers or {})


def preview(alert, lang):
    """The alert's mail in ``lang`` as a subscriber gets it (with a stand-in unsubscribe link)."""
    link = f"{public_base()}/unsubscribe/SUBSCRIBERS-OWN-LINK?lang={lang}"
    return _draft(alert, lang, texts(alert, lang)[0], {"unsubscribe_url": link})


@builder(ALERT)
def alert_mail(mail):
    recipient = db.session.get(AlertRecipient, mail.ref_id)
    subscription = recipient.subscription if recipient is not None else None
    if subscription is None or subscription.confirmed_at is None or not subscription.active:
        return None  # unsubscribed since it was queued: nothing more goes to them
    alert = recipient.alert
    if alert.state == Alert.PAUSED:
        raise Held(PAUSED_UNTIL)
    link = unsubscribe_url(subscription, mail.base_url)
    return _draft(alert, mail.lang, texts(alert, mail.lang)[0], {"unsubscribe_url": f"{link}?lang={mail.lang}"},
                  unsubscribe_headers(subscription, mail.base_url))


@builder(ALERT_TEST)
def test_mail(mail):
    alert = db.session.get(Alert, mail.ref_id)
    if alert is None or alert.tested_digest != digest(alert):
        return None  # its text changed after the test was asked for: a newer test shows it
    subject = _("TEST: %(subject)s", subject=texts(alert, mail.lang)[0])
    return _draft(alert, mail.lang, subject, {"unsubscribe_url": None})
