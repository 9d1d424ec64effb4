"""Campaign pages (admins): create a campaign; change its texts in both languages, goal, closing
time, retention period, captcha, donation settings, report, kit and share image; close and reopen it.

Every change goes through the core's functions, as the CLI's do (``create_campaign``,
``close_campaign``, ``change_donate_settings``, ``attachments``), and so reaches the other
instances as theirs do: a campaign's status, goal and switches within
``WIDGET_COUNT_CACHE_SECONDS`` (``campaigns.campaign_ref``), its files within
``attachments.OFFER_CACHE_SECONDS``, its texts at once (they are read on each page). A form
that does not pass its checks answers 422 with the messages beside its fields, and changes
nothing.
"""
from flask import current_app, redirect, render_template, request
from flask_babel import lazy_gettext as _l

from .. import attachments
from ..campaigns import RETENTION_SETTING, SLUG_RE, change_campaign, close_campaign, create_campaign, find_campaign, reopen_campaign
from ..counting import current_count
from ..donations import CURRENCIES, change_donate_settings, donate_settings
from ..errors import ValidationFailed
from ..extensions import db
from ..models import Campaign, CampaignFile, CampaignText
from . import audit, bp, local_time
from . import campaign_forms as forms
from .auth import console_url, larger_body, role_required
from .moderation import campaign_choices

SLUG_TAKEN = _l("A campaign with this short name exists already: choose another.")
# Bodies these forms may send (campaign texts: Urdu triples in a URL-encoded form; uploads, the
# file and the form around it): the global limit (WIDGET_MAX_BODY_BYTES) is sized for a signature.
TEXT_FORM_BYTES = 1024 * 1024
SAVED = {
    "texts": _l("The texts and settings are saved."),
    "donations": _l("The donation settings are saved."),
    "file": _l("The file is saved."),
    "closed": _l("The campaign is closed: it takes no more signatures."),
    "reopened": _l("The campaign is open again."),
    "created": _l("The campaign is created. Check its texts and settings below."),
}


@bp.get("/campaigns")
@role_required("admin")
def campaigns():
    listed = [
        (campaign, current_count(campaign.id))
        for campaign in db.session.scalars(db.select(Campaign).order_by(Campaign.created_at.desc())).all()
    ]
    return render_template("console/campaigns.html", listed=listed)


@bp.route("/campaigns/new", methods=["GET", "POST"])
@role_required("admin")
@larger_body(TEXT_FORM_BYTES)
def new_campaign():
    if request.method == "GET":
        return render_template("console/campaign_new.html", form={"goal": "0", "captcha": "on"}, errors={})
    form = request.form
    texts, errors = forms.parse_texts(form)
    settings, more = forms.parse_settings(form)
    errors.update(more)
    slug = (form.get("slug") or "").strip().lower()
    if not SLUG_RE.fullmatch(slug):
        errors["slug"] = _l("Use lowercase letters, digits and dashes, at most 64, such as hazara-quetta.")
    if not errors:
        try:
            campaign = create_campaign(slug, settings["goal"], texts, closes_at=settings["closes_at"])
        except ValidationFailed as error:
            # The slug's format was checked above: the core refuses it only when it is taken.
            errors = {
                "title_en" if field == "texts" else field: SLUG_TAKEN if field == "slug" else message
                for field, message in error.errors.items()
            }
    if errors:
        return render_template("console/campaign_new.html", form=form, errors=errors), 422
    change_campaign(campaign, captcha=settings["captcha"], retention_days=settings["retention_days"])
    audit.record("campaign.create", target=slug, details={
        "goal": settings["goal"], "languages": sorted(texts), "retention_days": settings["retention_days"],
    }, commit=False)
    db.session.commit()
    return redirect(console_url("console.campaign", slug=slug, saved="created"), 303)


@bp.get("/campaigns/<slug>")
@role_required("admin")
def campaign(slug):
    return _edit_page(find_campaign(slug))


def _edit_page(campaign, errors=None, form=None, status=200, section=None):
    """The campaign's page; ``form`` (the posted one) shown again in ``section`` with ``errors``."""
    by_lang = {text.lang: text for text in campaign.texts}
    shown = {"goal": str(campaign.goal), "closes_at": local_time.shown(campaign.closes_at),
             "captcha": "on" if campaign.setting("captcha", True) else "",
             "retention_days": str(campaign.setting(RETENTION_SETTING, ""))}
    for lang, text in by_lang.items():
        shown.update({f"{name}_{lang}": getattr(text, name) for name in forms.TEXT_FIELDS})
        shown[f"draft_{lang}"] = "on" if text.is_draft else ""
    donations = forms.donation_form(donate_settings(campaign))
    if form is not None and section == "texts":
        shown = form
    if form is not None and section == "donations":
        donations = {**donations, "form": form}
    saved = SAVED.get(request.args.get("saved"))
    return render_template(
        "console/campaign.html", campaign=campaign, form=shown, donations=donations, errors=errors or {},
        section=section, saved=saved, files=attachments.stored_files(campaign.id), kinds=CampaignFile.KINDS,
        linkable=attachments.LINKABLE, currencies=CURRENCIES, count=current_count(campaign.id),
        choices=campaign_choices(), max_bytes=current_app.config["ATTACHMENT_MAX_BYTES"],
    ), status


@bp.post("/campaigns/<slug>/texts")
@role_required("admin")
@larger_body(TEXT_FORM_BYTES)
def campaign_texts(slug):
    campaign = find_campaign(slug)
    texts, errors = forms.parse_texts(request.form)
    settings, more = forms.parse_settings(request.form)
    errors.update(more)
    if errors:
        return _edit_page(campaign, errors, request.form, 422, "texts")
    by_lang = {text.lang: text for text in campaign.texts}
    for lang in forms.LANGS:
        if lang in texts and lang in by_lang:
            for name, value in texts[lang].items():
                setattr(by_lang[lang], name, value)
        elif lang in texts:
            campaign.texts.append(CampaignText(lang=lang, **texts[lang]))
        elif lang in by_lang and lang != campaign.default_lang:
            campaign.texts.remove(by_lang[lang])
    change_campaign(campaign, goal=settings["goal"], closes_at=settings["closes_at"], captcha=settings["captcha"],
                    retention_days=settings["retention_days"])
    audit.record("campaign.change", target=slug, details={
        "goal": settings["goal"], "captcha": settings["captcha"], "languages": sorted(texts),
        "retention_days": settings["retention_days"],
        "closes_at": local_time.shown(settings["closes_at"]) or None,
    }, commit=False)
    db.session.commit()
    return redirect(console_url("console.campaign", slug=slug, saved="texts", _anchor="texts"), 303)


@bp.post("/campaigns/<slug>/donations")
@role_required("admin")
@larger_body(TEXT_FORM_BYTES)
def campaign_donations(slug):
    campaign = find_campaign(slug)
    values, errors = forms.parse_donations(request.form)
    if not errors:
        try:
            change_donate_settings(campaign, **values)  # commits, or raises and changes nothing
        except ValidationFailed as error:
            db.session.rollback()
            errors = forms.donation_errors(error.errors)
    if errors:
        return _edit_page(campaign, errors, request.form, 422, "donations")
    audit.record("campaign.donations", target=slug, details={
        "currencies": values["currencies"], "monthly": values["monthly"],
        "goals": {code: amount for code, amount in values["goals"].items() if amount},
    })
    return redirect(console_url("console.campaign", slug=slug, saved="donations", _anchor="donations"), 303)


@bp.post("/campaigns/<slug>/files/<any(report, kit, image):kind>")
@role_required("admin")
@larger_body(TEXT_FORM_BYTES, "ATTACHMENT_MAX_BYTES")
def campaign_file(slug, kind):
    """Upload ``kind``, link it to an address (report, kit), or remove it, with the CLI's checks."""
    campaign = find_campaign(slug)
    action = request.form.get("action")
    try:
        if action == "remove":
            attachments.remove(campaign, kind)
            details = {"removed": True}
        elif action == "link":
            attachments.attach_url(campaign, kind, (request.form.get("url") or "").strip())
            details = {"url": campaign.report_url if kind == "report" else campaign.kit_url}
        else:
            upload = request.files.get("file")
            data = upload.read(current_app.config["ATTACHMENT_MAX_BYTES"] + 1) if upload else b""
            record = attachments.attach_file(campaign, kind, data, upload.filename if upload else kind)
            details = {"filename": record.filename, "bytes": record.size, "sha256": record.sha256}
    except attachments.AttachmentError as error:
        db.session.rollback()
        return _edit_page(campaign, {f"file_{kind}": _file_message(error)}, status=422, section=f"file_{kind}")
    audit.record(f"campaign.{kind}", target=slug, details=details)
    return redirect(console_url("console.campaign", slug=slug, saved="file", _anchor=f"file-{kind}"), 303)


def _file_message(error):
    """The core's message, which the CLI prints too, as a sentence."""
    text = str(error)
    return text[:1].upper() + text[1:] + "."


@bp.post("/campaigns/<slug>/<any(close, reopen):action>")
@role_required("admin")
def campaign_status(slug, action):
    campaign = find_campaign(slug)
    (close_campaign if action == "close" else reopen_campaign)(campaign)
    audit.record(f"campaign.{action}", target=slug)
    return redirect(console_url("console.campaign", slug=slug, saved="closed" if action == "close" else "reopened"), 303)
