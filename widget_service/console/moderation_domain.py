"""Moderation: spotting a bot wave, and holding its signatures back (or restoring them) in bulk.

A ``Selection`` is a campaign, a time window of at most ``MAX_WINDOW`` and optional criteria
(an IP hash, an email domain, a partner key, a state). Every query on it goes through the
``(campaign_id, created_at)`` index, so its cost is bounded by the signatures in the window
rather than the campaign's, and the pages only ever count a selection (``COUNT``,
``GROUP BY``), never lists its rows.

Holding back moves a selection's counted signatures to ``suspect`` and takes them off the count
in the same transaction (``counting.adjust_count``): one ``UPDATE ... WHERE state = 'counted'``,
whose returned rows are the ones taken off. A second moderator holding back the same rows at the
same time changes none of them (PostgreSQL re-checks the condition on each row it waited for;
SQLite's write lock runs one after the other), so each signature leaves the count exactly once.

Restoring moves suspect signatures back to ``counted`` and adds them (in a campaign that asks
for confirmation by mail, only those a moderator held back: ``moderation_models``), except a
mailbox that has a counted or pending signature in the campaign already (it signed again
meanwhile; the unique index on counted signatures would refuse a second one anyway) and, of
several held-back signatures of one mailbox, all but the first. A supporter signing again at the very moment of
a restore makes the index refuse it: the restore is then run again, and leaves that one.

Both take the campaign's row lock (``FOR NO KEY UPDATE``, which signers' key-share locks do not
wait for), so moderators of one campaign act one after the other, and refuse to act when the
selection no longer holds the number of signatures the moderator confirmed. After either, the
dashboard's buckets of the selection's hours are counted again (``stats.recount``).
"""
import re
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, func, select, true, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import aliased

from .. import counting
from ..extensions import db
from ..models import Campaign, Signature, utcnow
from ..signing import confirmation_required
from ..validation import clean_ref
from . import local_time, stats
from .moderation_models import HeldSignature, forget_held, note_held

MAX_WINDOW = timedelta(days=31)
DEFAULT_WINDOW = timedelta(hours=24)
# Up to this long a wave is drawn minute by minute, beyond it hour by hour.
MINUTE_CHART_WINDOW = timedelta(hours=25)  # a day, however its ends were typed
TOP = 10
RETRIES = 3
IP_HASH_RE = re.compile(r"^[0-9a-f]{16,64}$")
DOMAIN_RE = re.compile(r"^[^\s@%\x00-\x1f\x7f]{1,253}$")  # no control character (PostgreSQL refuses NUL)
NO_PARTNER = "-"  # the partner criterion for signatures that came through no partner


class SelectionChanged(Exception):
    """The selection no longer holds the number the moderator confirmed: nothing was changed."""

    def __init__(self, now):
        super().__init__(now)
        self.now = now


@dataclass(frozen=True)
class Selection:
    campaign_id: int
    since: datetime
    until: datetime
    ip_hash: str = ""
    domain: str = ""
    ref: str = ""  # a partner key, NO_PARTNER, or "" for any
    state: str = ""  # one of Signature.STATES, or "" for any

    def as_args(self):
        """The selection as the query arguments ``parse_selection`` reads."""
        args = {key: value for key, value in asdict(self).items() if key != "campaign_id" and value}
        args["since"], args["until"] = format_time(self.since), format_time(self.until)
        return args

    def criteria(self, table=Signature):
        """The selection as SQL conditions on ``table`` (``Signature`` or an alias of it)."""
        conditions = [table.campaign_id == self.campaign_id, table.created_at >= self.since, table.created_at < self.until]
        if self.ip_hash:
            conditions.append(table.ip_hash == self.ip_hash)
        if self.domain:
            conditions.append(email_domain(table) == self.domain)
        if self.ref == NO_PARTNER:
            conditions.append(table.ref.is_(None))
        elif self.ref:
            conditions.append(table.ref == self.ref)
        if self.state:
            conditions.append(table.state == self.state)
        return conditions


def format_time(value):
    """A UTC time as moderators type and read it: Pakistan time, as on the dashboard."""
    return local_time.shown(value, seconds=True)


def parse_selection(campaign_id, args, now=None):
    """``(Selection, errors)`` from query or form arguments (times in Pakistan time); ``errors``
    maps a field to a message.

    Without a window, the last ``DEFAULT_WINDOW``. An end in the future is the present, so the
    number a moderator confirms stays the number acted on.
    """
    from flask_babel import lazy_gettext as _l

    # Whole seconds, rounded up: what was signed this second is in.
    now = now or (utcnow().replace(microsecond=0) + timedelta(seconds=1))
    errors = {}
    until = local_time.parse(args.get("until") or "") if args.get("until") else now
    if until is None:
        errors["until"] = _l("Enter a date and time, such as 2025-03-01 14:30.")
    else:
        until = min(until, now)
    since = local_time.parse(args.get("since") or "") if args.get("since") else (until or now) - DEFAULT_WINDOW
    if since is None:
        errors["since"] = _l("Enter a date and time, such as 2025-03-01 14:30.")
    if since and until:
        if since >= until:
            errors["since"] = _l("The start must be before the end (and before now).")
        elif until - since > MAX_WINDOW:
            errors["since"] = _l("Choose at most %(days)d days at a time.", days=MAX_WINDOW.days)
    ip_hash = (args.get("ip_hash") or "").strip().lower()
    if ip_hash and not IP_HASH_RE.fullmatch(ip_hash):
        errors["ip_hash"] = _l("Paste an IP hash from the table above (letters a-f and digits).")
    domain = (args.get("domain") or "").strip().lower().lstrip("@")
    if domain and not DOMAIN_RE.fullmatch(domain):
        errors["domain"] = _l("Enter the part of the email address after the @, such as example.com.")
    ref = (args.get("ref") or "").strip()
    if ref and ref != NO_PARTNER:
        ref, error = clean_ref(ref)  # the key as signing stores it
        if error or not ref:
            errors["ref"] = _l("Enter a partner key as the snippet has it, or - for no partner.")
    state = args.get("state") or ""
    if state not in ("",) + Signature.STATES:
        errors["state"] = _l("Choose a state from the list.")
    if errors:
        return None, errors
    return Selection(campaign_id, since, until, ip_hash, domain, ref, state), {}


def email_domain(table=Signature):
    """The domain of a signature's canonical email, as SQL."""
    column = table.email_canonical
    if db.session.get_bind().dialect.name == "postgresql":
        return func.split_part(column, "@", 2)
    return func.substr(column, func.instr(column, "@") + 1)


def _bucket(column, unit):
    if db.session.get_bind().dialect.name == "postgresql":
        return func.date_trunc(unit, column)
    return func.strftime("%Y-%m-%d %H:%M:00" if unit == "minute" else "%Y-%m-%d %H:00:00", column)


def _as_datetime(value):
    return value if isinstance(value, datetime) else datetime.strptime(value, "%Y-%m-%d %H:%M:%S")


def states_in(selection):
    """``{state: count}`` of the selection (every state, zeros included)."""
    rows = db.session.execute(
        select(Signature.state, func.count()).where(*selection.criteria()).group_by(Signature.state)
    )
    return {state: 0 for state in Signature.STATES} | dict(rows.all())


def wave(selection):
    """What a bot wave looks like in the selection: signatures per minute (per hour over long
    windows), the busiest minutes, and the most frequent IP hashes and email domains."""
    criteria = selection.criteria()
    unit = "minute" if selection.until - selection.since <= MINUTE_CHART_WINDOW else "hour"

    def grouped(expression, limit=None, order_by_count=True):
        count = func.count().label("n")
        query = select(expression.label("key"), count).where(*criteria).group_by(expression)
        query = query.order_by(count.desc(), expression) if order_by_count else query.order_by(expression)
        return db.session.execute(query.limit(limit)).all()

    minute = _bucket(Signature.created_at, "minute")
    return {
        "unit": unit,
        "series": [(_as_datetime(key), n) for key, n in grouped(_bucket(Signature.created_at, unit), order_by_count=False)],
        "busiest": [(_as_datetime(key), n) for key, n in grouped(minute, TOP)],
        "ip_hashes": [(key, n) for key, n in grouped(Signature.ip_hash, TOP + 1) if key][:TOP],
        "domains": grouped(email_domain(), TOP),
    }


def _restorable(selection, moderated_only):
    """The ids a restore would count again: per mailbox its first held-back signature in the
    selection, unless the mailbox has a counted or pending one in the campaign; ``moderated_only``
    (a campaign that asks for confirmation): only those a moderator held back."""
    held, other = aliased(Signature, name="held"), aliased(Signature, name="other")
    signed_since = exists().where(
        other.campaign_id == held.campaign_id,
        other.email_canonical == held.email_canonical,
        other.state != Signature.SUSPECT,
    )
    conditions = [*selection.criteria(held), held.state == Signature.SUSPECT, ~signed_since]
    if moderated_only:
        conditions.append(held.id.in_(select(HeldSignature.signature_id)))
    return select(func.min(held.id)).where(*conditions).group_by(held.email_canonical)


def restorable_count(selection):
    moderated_only = confirmation_required(db.session.get(Campaign, selection.campaign_id))
    return db.session.scalar(select(func.count()).select_from(_restorable(selection, moderated_only).subquery()))


def hold_back(selection, expected=None, record=None):
    """Hold back the selection's counted signatures; the number held back.

    ``expected``: the number the moderator confirmed (``SelectionChanged`` if it differs);
    ``record(number)``: called in the transaction before it commits (the audit entry)."""
    return _moderate(selection, expected, record, -1)


def restore(selection, expected=None, record=None):
    """Count the selection's restorable held-back signatures again; the number restored."""
    return _moderate(selection, expected, record, +1)


def _moderate(selection, expected, record, sign):
    """Hold back (``sign`` -1) or restore (+1) the selection's signatures, and change the count
    with them, in one transaction."""
    for attempt in range(RETRIES):
        try:
            changed = _change_states(selection, expected, sign)
            if record is not None:
                record(changed)
            db.session.commit()
        except (IntegrityError, OperationalError) as error:
            # A mailbox signed again during a restore (the unique index), or two moderations
            # deadlocked on PostgreSQL: nothing was changed; run again on what is there now.
            db.session.rollback()
            if attempt == RETRIES - 1 or (isinstance(error, OperationalError) and not _deadlock(error)):
                raise
            continue
        if changed:
            counting.publish_recount(selection.campaign_id)
            stats.recount(selection.campaign_id, selection.since, selection.until)  # the dashboard's buckets
        return changed


def _deadlock(error):
    return getattr(error.orig, "sqlstate", None) in ("40P01", "40001")


def _change_states(selection, expected, sign):
    campaign = db.session.execute(
        select(Campaign).where(Campaign.id == selection.campaign_id).with_for_update(key_share=True)
    ).scalar_one()
    if sign < 0:
        old_state, new_state, condition = Signature.COUNTED, Signature.SUSPECT, true()
    else:
        old_state, new_state = Signature.SUSPECT, Signature.COUNTED
        condition = Signature.id.in_(_restorable(selection, confirmation_required(campaign)))
    ids = db.session.execute(
        update(Signature)
        .where(*selection.criteria(), Signature.state == old_state, condition)
        .values(state=new_state)
        .returning(Signature.id)
        .execution_options(synchronize_session=False)
    ).scalars().all()
    if expected is not None and len(ids) != expected:
        db.session.rollback()
        raise SelectionChanged(len(ids))
    if ids:
        (note_held if sign < 0 else forget_held)(ids)
        counting.adjust_count(selection.campaign_id, sign * len(ids))
    return len(ids)
