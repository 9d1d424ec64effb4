"""One person's data, for their requests: everything stored about a mailbox (``report``), and
erasing it everywhere (``forget``).

A mailbox is matched as the service matches it when people sign (``mailboxes.canonical_email``
of the cleaned address): ``Pat.Doe+news@gmail.com`` finds what ``patdoe@gmail.com`` signed.
"""
from dataclasses import dataclass, field

from sqlalchemy import String, func, or_, select

from ..console import audit
from ..console.models import AuditEntry
from ..extensions import db
from ..mail.models import OutboxMail
from ..mail.outbox import address_hash
from ..mailboxes import canonical_email
from ..models import Campaign, Coordinator, Signature, Subscription
from ..ratelimits import keyed_hash
from ..validation import clean_email
from .erasure import erase

FORGET_ACTION = "supporters.forget"
# The rows ``report`` lists field by field; every other table is searched for the address.
DETAILED = {
    "signature": ("created_at", "state", "name", "email", "country", "region", "comment", "opt_in", "lang", "ref",
                  "source_origin", "ip_hash"),
    "coordinator": ("created_at", "state", "name", "email", "phone", "region", "country", "note", "lang", "ref",
                    "source_origin", "ip_hash"),
    "subscription": ("created_at", "name", "email", "lang", "source", "subscribed_at", "confirmed_at", "unsubscribed_at"),
    "outbox_mail": ("created_at", "kind", "to_email", "lang", "state", "attempts", "sent_at", "last_error"),
}


class NotAnAddress(ValueError):
    pass


def mailbox(text):
    """``(address, canonical)`` for what an operator typed; ``NotAnAddress`` if it is none."""
    address, error = clean_email(text)
    if error is not None:
        raise NotAnAddress()
    return address, canonical_email(address)


def fingerprint(canonical):
    """What the audit log keeps of a forgotten address: a keyed hash, never the address."""
    return keyed_hash("supporter-forgotten", canonical)


@dataclass
class Report:
    address: str
    canonical: str
    rows: dict = field(default_factory=dict)  # table -> [(campaign slug, {field: value})]
    elsewhere: list = field(default_factory=list)  # ["table.column: n rows"] outside the supporters' tables
    forgotten: list = field(default_factory=list)  # times the audit log recorded a forget of it

    @property
    def empty(self):
        return not any(self.rows.values()) and not self.elsewhere


def report(address, canonical):
    """Everything stored about the mailbox ``canonical``."""
    slugs = dict(db.session.execute(select(Campaign.id, Campaign.slug)).all())
    found = Report(address, canonical)
    queries = {
        "signature": select(Signature).where(Signature.email_canonical == canonical).order_by(Signature.id),
        "coordinator": select(Coordinator).where(Coordinator.email_canonical == canonical).order_by(Coordinator.id),
        "subscription": select(Subscription).where(Subscription.email_canonical == canonical).order_by(Subscription.id),
        "outbox_mail": select(OutboxMail).where(OutboxMail.to_hash == address_hash(canonical)).order_by(OutboxMail.id),
    }
    for table, query in queries.items():
        found.rows[table] = [
            (slugs.get(row.campaign_id, "-"), {name: getattr(row, name) for name in DETAILED[table]})
            for row in db.session.scalars(query)
        ]
    # Any other table that holds the address as it was typed or matched (a staff account, an
    # ally's contact): listed, so that an answer to the person leaves nothing out.
    spellings = {address.lower(), canonical}
    for table in db.metadata.sorted_tables:
        if table.name in DETAILED:
            continue
        for column in table.columns:
            if isinstance(column.type, String):
                hits = db.session.scalar(
                    select(func.count()).select_from(table).where(or_(*(func.lower(column) == s for s in spellings)))
                )
                if hits:
                    found.elsewhere.append(f"{table.name}.{column.name}: {hits} row{'s' if hits != 1 else ''}")
    found.forgotten = db.session.scalars(
        select(AuditEntry.at).where(AuditEntry.action == FORGET_ACTION, AuditEntry.target == fingerprint(canonical))
        .order_by(AuditEntry.id)
    ).all()
    return found


def forget(canonical):
    """Erase the mailbox ``canonical`` everywhere, in one transaction with its audit entry; counts."""
    counts = erase(email_canonical=canonical)
    audit.record(FORGET_ACTION, target=fingerprint(canonical), details=counts, commit=False)
    db.session.commit()
    return counts
