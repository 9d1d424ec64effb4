"""One mailbox, many spellings: the providers' rules as tables, and what a signer sees."""
import pytest

from widget_service.mailboxes import canonical_email


@pytest.mark.parametrize(("first", "second"), [
    # Gmail: dots, +tags, googlemail.com
    ("ali.raza@gmail.com", "AliRaza+petition@googlemail.com"),
    # Proton: one username on all four domains, +aliases, and . _ - folded out of the username
    ("pat@proton.me", "pat+x@pm.me"),
    ("pat@proton.me", "Pat+x@protonmail.ch"),
    ("pat@proton.me", "pat@protonmail.com"),
    ("pat.jones@proton.me", "pat_jones@pm.me"),
    ("pat.jones@proton.me", "pat-jones+news@protonmail.com"),
    # Outlook, Hotmail, Live, MSN, in every country: +tags
    ("jane@outlook.fr", "jane+x@outlook.fr"),
    ("jane@outlook.com", "Jane+petition@Outlook.com"),
    ("jane@hotmail.co.uk", "jane+x@hotmail.co.uk"),
    ("jane@hotmail.com.br", "jane+x@hotmail.com.br"),
    ("jane@live.com.pk", "jane+x@live.com.pk"),
    ("jane@live.fr", "jane+x@live.fr"),
    ("jane@msn.com", "jane+x@msn.com"),
    # Yahoo: disposable addresses base-keyword@ of one base name
    ("pat-shopping@yahoo.com", "pat-petition@yahoo.com"),
    ("pat-shopping@yahoo.co.uk", "Pat-News@Yahoo.co.uk"),
    # iCloud, Fastmail: +tags
    ("sam@icloud.com", "sam+x@icloud.com"),
    ("sam@fastmail.com", "sam+x@fastmail.com"),
])
def test_spellings_of_one_mailbox_are_one_signer(first, second):
    assert canonical_email(first) == canonical_email(second)


@pytest.mark.parametrize(("first", "second"), [
    ("jane@outlook.com", "jane@hotmail.com"),  # each Microsoft domain is its own namespace
    ("jane.doe@outlook.com", "janedoe@outlook.com"),  # dots count at Microsoft
    ("jane-x@outlook.com", "jane@outlook.com"),  # and a dash is part of the name
    ("jane@outlook.fr", "jane@outlook.com"),
    ("pat@yahoo.com", "pat-x@yahoo.com"),  # a base name is not a Yahoo ID: pat@ may be somebody else
    ("pat-x@yahoo.com", "pat-x@yahoo.co.uk"),
    ("pat@proton.me", "pat@gmail.com"),
    ("pat.jones@gmail.com", "pat_jones@gmail.com"),  # Gmail folds dots only
    ("jane+x@example.org", "jane@example.org"),  # unknown provider: case only
    ("jane+x@hotmail.com.example.org", "jane@hotmail.com.example.org"),  # a look-alike domain
    ("jane+x@myoutlook.com", "jane@myoutlook.com"),
    ("pat+x@proton.me.example.org", "pat@proton.me.example.org"),
])
def test_different_mailboxes_stay_different(first, second):
    assert canonical_email(first) != canonical_email(second)


@pytest.mark.parametrize(("email", "canonical"), [
    ("Pat+x@PM.me", "pat@proton.me"),
    ("p.a_t-x@protonmail.ch", "patx@proton.me"),
    ("jane+x@outlook.fr", "jane@outlook.fr"),
    ("Pat-Shopping@Yahoo.com", "pat-@yahoo.com"),
    ("pat@yahoo.com", "pat@yahoo.com"),
    ("Ali.Raza+x@GoogleMail.com", "aliraza@gmail.com"),
])
def test_the_canonical_form(email, canonical):
    assert canonical_email(email) == canonical


def test_a_second_signature_in_another_spelling_leaves_the_count_alone(widget, campaign):
    spellings = {
        "pat@proton.me": ["Pat+petition@pm.me", "p.a.t@protonmail.ch", "pat@protonmail.com"],
        "jane@outlook.fr": ["jane+x@outlook.fr", "JANE@outlook.fr", "jane\u034f@outlook.fr"],
        "sam-shopping@yahoo.com": ["sam-petition@yahoo.com"],
    }
    for count, (email, others) in enumerate(spellings.items(), start=1):
        first = widget.sign(campaign, email=email)
        assert first.status_code == 202 and widget.count(campaign) == count
        for other in others:
            again = widget.sign(campaign, email=other)
            assert (again.status_code, again.data) == (first.status_code, first.data), "a duplicate answers like a new signer"
            assert widget.count(campaign) == count, other
    for other_person in ("jane@outlook.com", "sam@yahoo.com"):
        assert widget.sign(campaign, email=other_person).status_code == 202
    assert widget.count(campaign) == len(spellings) + 2
