"""What moderation remembers: which held-back signatures a moderator took off the count.

Those were counted, so confirmed by their mailbox wherever a campaign asks for that, and may
count again when restored. A signature a bot trap caught was never counted nor confirmed: in a
campaign that asks for confirmation it is not restored (its signer can simply sign again; the
suspect row does not stand in the way).
"""
from sqlalchemy import delete, insert

from ..extensions import db
from ..models import utcnow

CHUNK = 5000  # ids per statement, well under PostgreSQL's 65,535 parameters


class HeldSignature(db.Model):
    signature_id = db.Column(db.ForeignKey("signature.id", ondelete="CASCADE"), primary_key=True)
    held_at = db.Column(db.DateTime, nullable=False, default=utcnow)


def note_held(ids):
    """Remember ``ids`` as held back by a moderator, in the caller's transaction."""
    now = utcnow()
    for start in range(0, len(ids), CHUNK):
        db.session.execute(insert(HeldSignature), [{"signature_id": i, "held_at": now} for i in ids[start:start + CHUNK]])


def forget_held(ids):
    """``ids`` count again: no longer held back."""
    for start in range(0, len(ids), CHUNK):
        db.session.execute(delete(HeldSignature).where(HeldSignature.signature_id.in_(ids[start:start + CHUNK])))
