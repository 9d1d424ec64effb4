"""One mailbox, many spellings: the canonical form of an email address, under which a second
signature from the same mailbox is a duplicate. Pure: no I/O.

A rule merges two spellings only where the provider itself documents that they reach the same
mailbox. Merging too much would be worse than merging too little: a second person whose address
was merged with somebody else's would be thanked and never counted.
"""
import re
from typing import NamedTuple


class Provider(NamedTuple):
    """How one provider spells one mailbox several ways."""

    domain: str = ""  # the one domain all the provider's domains stand for ("": the address's own)
    tag: str = ""  # what starts a tag that the provider delivers to the untagged mailbox
    ignored: str = ""  # characters of the local part the provider ignores
    keep_separator: bool = False  # the tag's separator marks a namespace of its own (Yahoo)


# Gmail: dots in a gmail.com address do not matter, name+anything@ reaches name@, and
# googlemail.com is the same domain (Google's Gmail Help, "Dots don't matter in Gmail addresses"
# and "Create task-specific email addresses").
GMAIL = Provider(domain="gmail.com", tag="+", ignored=".")
# Proton: one username owns it on every Proton domain (proton.me, protonmail.com, pm.me and the
# older protonmail.ch; https://proton.me/support/addresses-and-aliases, and an address once taken
# is reserved for its owner on the other domains), takes +aliases, and Proton's own client folds
# ".", "_" and "-" out of the username (ProtonMail/WebClients, packages/shared/lib/helpers/email.ts,
# the PROTON canonical scheme).
PROTON = Provider(domain="proton.me", tag="+", ignored="._-")
# Outlook.com (outlook, hotmail, live and msn addresses, each domain its own namespace: Microsoft
# support article 12407 on account aliases) delivers name+anything@ to name@ ("Plus addressing",
# learn.microsoft.com/exchange/recipients-in-exchange-online/plus-addressing-in-exchange-online).
# Dots count.
MICROSOFT = Provider(tag="+")
# Yahoo Mail's disposable addresses are base-keyword@: one base name per account, a keyword per
# use (Yahoo Help, "Using Disposable Addresses"). A Yahoo ID is letters, digits, underscores and
# one dot (Yahoo's sign-up form), so the dash marks a disposable address (as in Yahoo's patent
# on them, US 2006/0041621), and every base-*@ is one mailbox, written base-@. It is NOT merged
# with base@: the base name is chosen apart from the Yahoo ID, so base@ may be another person's.
YAHOO = Provider(tag="-", keep_separator=True)
# Providers documenting plus addressing only: iCloud Mail, Fastmail, Yandex.
PLUS = Provider(tag="+")

PROVIDERS = {
    "gmail.com": GMAIL,
    "googlemail.com": GMAIL,
    "proton.me": PROTON,
    "protonmail.com": PROTON,
    "protonmail.ch": PROTON,
    "pm.me": PROTON,
    "msn.com": MICROSOFT,
    "windowslive.com": MICROSOFT,
    "icloud.com": PLUS,
    "me.com": PLUS,
    "fastmail.com": PLUS,
    "yandex.com": PLUS,
}
# Outlook, Hotmail, Live and Yahoo have a domain per country: outlook.fr, hotmail.co.uk,
# live.com.pk, yahoo.co.in... (.com, or a country code, after an optional co. or com.).
_COUNTRY_DOMAINS = (
    (re.compile(r"(?:outlook|hotmail|live)\.(?:com|(?:com?\.)?[a-z]{2})"), MICROSOFT),
    (re.compile(r"yahoo\.(?:com|(?:com?\.)?[a-z]{2})"), YAHOO),
)
_OTHERS = Provider()  # case only, which no real provider uses to tell people apart


def provider(domain):
    """The rule of the provider at ``domain`` (lower case)."""
    rule = PROVIDERS.get(domain)
    if rule is None:
        rule = next((rule for pattern, rule in _COUNTRY_DOMAINS if pattern.fullmatch(domain)), _OTHERS)
    return rule


def canonical_email(email):
    """The form of ``email`` under which two spellings of one mailbox are equal."""
    local, _, domain = email.strip().lower().rpartition("@")
    rule = provider(domain)
    if rule.tag and rule.tag in local:
        local = local.split(rule.tag, 1)[0] + (rule.tag if rule.keep_separator else "")
    for char in rule.ignored:
        local = local.replace(char, "")
    return f"{local}@{rule.domain or domain}"
