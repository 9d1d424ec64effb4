"""Signals the core sends where something it stores must cause more work elsewhere (a mail).

Each is sent inside the transaction that stores its cause, before the commit, with
``session`` (that transaction's) and ``row``, the cause (its ``id``, ``campaign_id``, ``email``,
``email_canonical`` and ``lang`` at least: a receiver need not read it again): a receiver adds
its own rows (an outbox mail) to the same transaction, so they commit or roll back with their
cause. The core knows no
receiver; a subpackage connects in its ``init_app`` (``mail.init_app`` connects the mail
subpackage). Senders pass ``current_app._get_current_object()`` as the sender, so a receiver
can connect for one app only.

``signatures_changed`` is the exception: it is sent after its cause has committed, for work
that reads the committed state (the console counts the hours again).
"""
from blinker import Namespace
from flask import current_app

_signals = Namespace()

# A new subscription, not yet confirmed.
subscription_created = _signals.signal("subscription-created")
# A subscription just confirmed by its mailbox's owner.
subscription_confirmed = _signals.signal("subscription-confirmed")
# A pending signature stored, or signed again while pending (``again`` true).
signature_pending = _signals.signal("signature-pending")
# A new coordinator offer waiting for its mailbox's confirmation.
coordinator_pending = _signals.signal("coordinator-pending")
# Signatures of a campaign created in ``[since, until]`` (UTC) changed state or were deleted
# after they were stored (confirmed, disowned, expired): sent once that change has committed,
# with ``campaign_id``, ``since`` and ``until``, so that whatever was derived from those hours
# (the console's rolled-up statistics) is counted again.
signatures_changed = _signals.signal("signatures-changed")


def changed_signatures(campaign_id, since, until=None):
    """Send ``signatures_changed`` for the current app (``until`` None: ``since`` alone)."""
    signatures_changed.send(current_app._get_current_object(), campaign_id=campaign_id, since=since,
                            until=since if until is None else until)
