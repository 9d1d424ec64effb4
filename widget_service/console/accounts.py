"""Staff accounts: set-up links, passwords (Argon2), TOTP (pyotp, secret encrypted with Fernet),
recovery codes, and the account changes ``flask staff`` makes."""
import base64
import hashlib
import secrets
import time
from datetime import timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import select, update

from ..extensions import db
from ..models import utcnow
from ..ratelimits import keyed_hash
from ..validation import clean_email
from .models import RecoveryCode, Staff
from .sessions import end_sessions_of

SETUP_LINK_LIFETIME = timedelta(hours=24)
RECOVERY_CODES = 10
MIN_PASSWORD_LENGTH = 12
TOTP_STEP = 30

_hasher = PasswordHasher()  # argon2id with the library's current defaults (RFC 9106's)
# Verified when the account does not exist, so an unknown address costs the same time as a
# wrong password and the two cannot be told apart.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """A command or form asked for something the account's state does not allow."""


def normal_email(email):
    return (email or "").strip().lower()


def find(email):
    """The account of this address, or None (also for an address no account can have: one
    with a NUL, which PostgreSQL refuses to compare)."""
    email = normal_email(email)
    if "\x00" in email:
        return None
    return db.session.scalar(select(Staff).where(Staff.email == email))


def _token_digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _new_setup_link(staff):
    token = secrets.token_urlsafe(32)
    staff.setup_token_hash = _token_digest(token)
    staff.setup_expires_at = utcnow() + SETUP_LINK_LIFETIME
    return token


def create(email, role):
    """A new pending account; returns it and the set-up token (shown once, stored hashed)."""
    cleaned, problem = clean_email(email)  # the rule a supporter's address follows, invisible characters dropped
    if problem is not None:
        raise AccountError(f"{(email or '').strip()!r} is not an email address")
    email = normal_email(cleaned)
    if role not in Staff.ROLES:
        raise AccountError(f"the role must be one of {', '.join(Staff.ROLES)}")
    if find(email) is not None:
        raise AccountError(f"there is an account for {email} already (flask staff reset gives it a new set-up link)")
    staff = Staff(email=email, role=role, state=Staff.PENDING)
    token = _new_setup_link(staff)
    db.session.add(staff)
    db.session.flush()
    return staff, token


def reset(staff):
    """Back to set-up: password, authenticator and recovery codes forgotten, every session
    ended; returns the new set-up token."""
    staff.state = Staff.PENDING
    staff.password_hash = None
    staff.totp_secret = None
    staff.totp_last_step = 0
    db.session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.staff_id == staff.id))
    end_sessions_of(staff.id)
    return _new_setup_link(staff)


def disable(staff):
    """No more signing in, every session ended, any set-up link void."""
    staff.state = Staff.DISABLED
    staff.setup_token_hash = None
    staff.setup_expires_at = None
    end_sessions_of(staff.id)


def staff_for_setup(token):
    """The account a set-up token opens, if the token is current; else None."""
    if not token or len(token) > 100:
        return None
    staff = db.session.scalar(select(Staff).where(Staff.setup_token_hash == _token_digest(token)))
    if staff is None or staff.state == Staff.DISABLED or staff.setup_expires_at is None:
        return None
    if utcnow() > staff.setup_expires_at:
        return None
    return staff


# Passwords


def password_problem(password, confirm):
    """What is wrong with a new password (a message id), or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return "short"
    if len(password) > 1000:
        return "long"
    if password != confirm:
        return "mismatch"
    return None


def set_password(staff, password):
    staff.password_hash = _hasher.hash(password)


def password_matches(staff, password):
    """Argon2 verification; a missing account or hash still costs one verification."""
    stored = staff.password_hash if staff is not None and staff.password_hash else _DUMMY_HASH
    try:
        _hasher.verify(stored, password[:1000])
    except (VerificationError, InvalidHashError):
        return False
    return staff is not None and stored is not _DUMMY_HASH


# TOTP


def _fernet():
    """A Fernet key derived from the secret key with HKDF, for this purpose only."""
    secret = current_app.config["SECRET_KEY"].encode()
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"msp-console-totp-secret").derive(secret)
    return Fernet(base64.urlsafe_b64encode(key))


def new_totp_secret():
    return pyotp.random_base32()


def store_totp_secret(staff, secret):
    staff.totp_secret = _fernet().encrypt(secret.encode()).decode()
    staff.totp_last_step = 0


def totp_secret(staff):
    if not staff.totp_secret:
        return None
    try:
        return _fernet().decrypt(staff.totp_secret.encode()).decode()
    except InvalidToken:  # the secret key changed since: the account must be reset
        return None


def provisioning_uri(staff, secret):
    return pyotp.TOTP(secret).provisioning_uri(name=staff.email, issuer_name="MSP console")


def _matching_step(secret, code, now=None):
    """The time step whose code ``code`` is (this one or either neighbour, for clock drift)."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    moment = now if now is not None else time.time()
    current = int(moment // TOTP_STEP)
    for step in (current - 1, current, current + 1):
        if secrets.compare_digest(totp.at(step * TOTP_STEP), code):
            return step
    return None


def use_totp_code(staff, code, secret=None):
    """True when ``code`` is the authenticator's and no code of its time step or a later one was
    accepted before. Recorded in the same UPDATE that checks it, so two requests racing with
    one code cannot both pass."""
    secret = secret or totp_secret(staff)
    if not secret:
        return False
    step = _matching_step(secret, code)
    if step is None:
        return False
    used = db.session.execute(
        update(Staff).where(Staff.id == staff.id, Staff.totp_last_step < step).values(totp_last_step=step)
    )
    db.session.expire(staff, ["totp_last_step"])
    return used.rowcount == 1


# Recovery codes


def _code_hash(code):
    return keyed_hash("console-recovery-code", "".join(code.split()).replace("-", "").lower())


def new_recovery_codes(staff):
    """Replace the account's recovery codes with fresh ones; returns them (shown once)."""
    db.session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.staff_id == staff.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = base64.b32encode(secrets.token_bytes(5)).decode().lower()  # 40 bits
        codes.append(f"{raw[:4]}-{raw[4:]}")
        db.session.add(RecoveryCode(staff_id=staff.id, code_hash=_code_hash(codes[-1])))
    return codes


def use_recovery_code(staff, code):
    """True once per code: it is marked used in the UPDATE that finds it unused."""
    if len(code) > 40:
        return False
    used = db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.staff_id == staff.id, RecoveryCode.code_hash == _code_hash(code), RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
    )
    return used.rowcount == 1


def recovery_codes_left(staff):
    return len(db.session.scalars(select(RecoveryCode.id).where(RecoveryCode.staff_id == staff.id, RecoveryCode.used_at.is_(None))).all())


# Signing in


def authenticate(email, password, code):
    """The active account these three open, or None: the same None, after the same Argon2
    work, whether the account is unknown, disabled, or the password or code is wrong. The
    account's ``second_factor`` says which opened it: "totp" or "recovery-code"."""
    staff = find(email)
    if not password_matches(staff, password or ""):
        return None
    if not staff.is_active:
        return None
    code = (code or "").strip()
    if use_totp_code(staff, code):
        staff.second_factor = "totp"
    elif len(code.replace("-", "")) == 8 and use_recovery_code(staff, code):
        staff.second_factor = "recovery-code"
    else:
        db.session.rollback()
        return None
    db.session.commit()
    return staff


def complete_setup(staff):
    """The account has both factors now: it may sign in; its set-up link is spent."""
    staff.state = Staff.ACTIVE
    staff.setup_token_hash = None
    staff.setup_expires_at = None


def signed_in(staff):
    staff.last_sign_in_at = utcnow()
    db.session.commit()
