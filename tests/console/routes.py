"""Every console route, for the access tests (tests/console/test_access.py).

Each part of the console adds its own routes here. A ``Route`` says who may use it
(``"public"``, ``"viewer"`` for viewer and admin, ``"admin"``), the status it answers when
allowed (``ok``), and the form it is sent with. The expected status of everyone else follows
from the rules in ``expected`` (an ``expect`` dict overrides one identity's):

- anonymous, a disabled account, an expired session: GET -> 302 to the sign-in page, any
  other method -> 401
- a viewer on an admin route -> 403
- a signed-in admin posting without its session's CSRF token, or with a wrong one -> 400;
  so is a post to a public route from a page whose session has ended since

``{slug}`` in a path is a campaign made for the test.
"""
from dataclasses import dataclass, field

IDENTITIES = (
    "anonymous", "viewer", "admin", "disabled", "expired_idle", "expired_total", "csrf_missing", "csrf_wrong",
)
SIGNED_OUT = ("anonymous", "disabled", "expired_idle", "expired_total")


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    role: str  # "public", "viewer" or "admin"
    ok: int = None  # the allowed answer: 200 for GET, 302 for a POST unless given
    data: dict = field(default_factory=dict)  # the form a POST sends
    expect: dict = field(default_factory=dict)  # identity -> status, overriding the rules
    ends_session: bool = False  # run last: it signs the client out

    def expected(self, identity):
        if identity in self.expect:
            return self.expect[identity]
        ok = self.ok or (200 if self.method == "GET" else 302)
        if identity.startswith("csrf_"):
            # Reads need no token; a post without the session's own token is refused first.
            return ok if self.method == "GET" else 400
        if self.role == "public":
            if identity in SIGNED_OUT[1:] and self.method != "GET":
                # The token on the page came from the session that has ended: refused.
                return 400
            return ok
        if identity in SIGNED_OUT:
            return 302 if self.method == "GET" else 401
        if self.role == "admin" and identity == "viewer":
            return 403
        return ok


SIGNED_IN_ELSEWHERE = {"viewer": 302, "admin": 302, "csrf_missing": 302, "csrf_wrong": 302}

ROUTES = [
    # C-auth: signing in and out, setting up, the audit log.
    Route("GET", "/console/", "viewer", ok=302),
    Route("GET", "/console/sign-in", "public", expect=SIGNED_IN_ELSEWHERE),
    Route(
        "POST", "/console/sign-in", "public", ok=401, data={"email": "nobody@msp.example", "password": "x", "code": "1"},
        # Signed in already: the form goes back to the console.
        expect={"viewer": 302, "admin": 302},
    ),
    # Without a set-up link in the session there is nothing to set up.
    Route("GET", "/console/setup", "public", ok=404),
    Route("GET", "/console/setup?token=not-a-token", "public", ok=404),
    Route("GET", "/console/setup/password", "public", ok=404),
    Route("POST", "/console/setup/password", "public", ok=404, data={"password": "x" * 20, "confirm": "x" * 20}),
    Route("GET", "/console/setup/authenticator", "public", ok=404),
    Route("POST", "/console/setup/authenticator", "public", ok=404, data={"code": "123456"}),
    Route("GET", "/console/account", "viewer"),
    # Without a current code from the app: refused, nothing changes.
    Route("POST", "/console/account/recovery-codes", "viewer", ok=422, data={"code": "000000"}),
    Route("GET", "/console/audit", "admin"),
    Route("GET", "/console/audit?page=2", "admin"),
    Route("POST", "/console/sign-out", "viewer", ends_session=True),
]

# C-admin: moderation, campaigns, exports. Admin posts that would change something are sent
# with a selection that holds nothing or with a form the checks refuse (422, nothing changed);
# closing and reopening change the campaign back and forth.
SLUG_FORM = {"campaign": "{slug}"}
ROUTES += [
    Route("GET", "/console/moderation", "admin"),
    Route("GET", "/console/moderation?campaign={slug}&domain=bot.example", "admin"),
    Route("GET", "/console/moderation?campaign={slug}&since=yesterday", "admin", ok=422),
    Route("GET", "/console/moderation?campaign=no-such-campaign", "admin", ok=404),
    Route("GET", "/console/moderation/confirm?action=hold&campaign={slug}", "admin"),
    Route("GET", "/console/moderation/confirm?action=restore&campaign={slug}", "admin"),
    Route("POST", "/console/moderation/hold", "admin", ok=303, data={**SLUG_FORM, "domain": "nobody.example", "expected": "0"}),
    Route("POST", "/console/moderation/restore", "admin", ok=303, data={**SLUG_FORM, "domain": "nobody.example", "expected": "0"}),
    Route("POST", "/console/moderation/hold", "admin", ok=422, data={**SLUG_FORM, "domain": "nobody.example"}),
    Route("GET", "/console/campaigns", "admin"),
    Route("GET", "/console/campaigns/new", "admin"),
    Route("POST", "/console/campaigns/new", "admin", ok=422, data={"slug": "Not A Slug", "title_en": "", "goal": "0"}),
    Route("GET", "/console/campaigns/{slug}", "admin"),
    Route("GET", "/console/campaigns/no-such-campaign", "admin", ok=404),
    Route("POST", "/console/campaigns/{slug}/texts", "admin", ok=422, data={"title_en": "", "goal": "0"}),
    Route("POST", "/console/campaigns/{slug}/donations", "admin", ok=422, data={"default_currency": "USD"}),
    Route("POST", "/console/campaigns/{slug}/files/report", "admin", ok=422, data={"action": "link", "url": "http://plain.example/r.pdf"}),
    Route("POST", "/console/campaigns/{slug}/close", "admin", ok=303),
    Route("POST", "/console/campaigns/{slug}/reopen", "admin", ok=303),
    Route("GET", "/console/exports", "admin"),
    Route("POST", "/console/exports", "admin", ok=200, data={**SLUG_FORM, "kind": "signatures"}),
    Route("POST", "/console/exports", "admin", ok=422, data={**SLUG_FORM, "kind": "everything"}),
]

# C-stats: the dashboard, for viewers and admins alike (aggregates only).
ROUTES += [
    Route("GET", "/console/dashboard", "viewer"),
    Route("GET", "/console/dashboard?lang=ur", "viewer"),
    Route("GET", "/console/dashboard/{slug}", "viewer"),
    Route("GET", "/console/dashboard/{slug}?lang=ur", "viewer"),
    Route("GET", "/console/dashboard/no-such-campaign", "viewer", ok=404),
]

# Allies: partners (admins). A key no partner holds answers 404; the registration form with a
# bad key 422 (nothing stored).
ROUTES += [
    Route("GET", "/console/partners", "admin"),
    Route("GET", "/console/partners?lang=ur", "admin"),
    Route("POST", "/console/partners", "admin", ok=422, data={"key": "bad key~x", "name": "", "contact_email": "x"}),
    Route("GET", "/console/partners/no-such-partner", "admin", ok=404),
    Route("POST", "/console/partners/no-such-partner/origins", "admin", ok=404, data={"origin": "https://a.example"}),
    Route("POST", "/console/partners/no-such-partner/stats-link", "admin", ok=404, data={"action": "rotate"}),
    Route("POST", "/console/partners/no-such-partner/status", "admin", ok=404, data={"status": "disabled"}),
]

# Mail: action alerts (admins). An alert that does not exist answers 404; the writing form with
# an unknown campaign 422 (nothing stored).
ROUTES += [
    Route("GET", "/console/alerts", "admin"),
    Route("GET", "/console/alerts?lang=ur", "admin"),
    Route("GET", "/console/alerts/new", "admin"),
    Route("POST", "/console/alerts/new", "admin", ok=422, data={"campaign": "no-such-campaign", "subject_en": "x",
                                                                "text_en": "x", "subject_ur": "x", "text_ur": "x"}),
    Route("GET", "/console/alerts/999", "admin", ok=404),
    Route("POST", "/console/alerts/999/test", "admin", ok=404),
    Route("POST", "/console/alerts/999/send", "admin", ok=404),
    Route("POST", "/console/alerts/999/pause", "admin", ok=404),
    Route("POST", "/console/alerts/999/resume", "admin", ok=404),
]
