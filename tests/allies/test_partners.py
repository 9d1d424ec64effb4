"""Partners through the CLI and MSP's console: registered, credited by key, audited."""
from tests.console.conftest import post_form

from .conftest import sign_from


def test_cli_registers_lists_and_changes_a_partner(runner, make_partner):
    make_partner("quetta-net", origins=["https://Quetta.example"])
    result = runner.invoke(args=["partners", "list"])
    assert "quetta-net\tactive\tQuetta Network\tcontact@quetta.example\tno stats link\thttps://quetta.example" in result.output
    assert runner.invoke(args=["partners", "allow-origin", "quetta-net", "https://blog.quetta.example"]).exit_code == 0
    assert runner.invoke(args=["partners", "disable", "quetta-net"]).exit_code == 0
    listed = runner.invoke(args=["partners", "list"]).output
    assert "quetta-net\tdisabled" in listed and "https://blog.quetta.example https://quetta.example" in listed
    audit = runner.invoke(args=["audit", "tail"]).output
    assert "partner.create\tquetta-net" in audit and "partner.disable\tquetta-net" in audit


def test_cli_refuses_bad_keys_origins_and_taken_keys(runner, make_partner):
    make_partner("taken")
    for args in (
        ["create", "two words", "N", "a@b.example"],  # outside the key rule: refused, with the key it would be
        ["create", "net~share", "N", "a@b.example"],  # ~ separates a share's channel
        ["create", "taken", "N", "a@b.example"],
        ["create", "fine", "N", "a@b.example", "--origin", "https://x.example/path"],
        ["create", "fine", "N", "not-an-address"],
        ["allow-origin", "taken", "javascript:alert(1)"],
        ["allow-origin", "nobody", "https://x.example"],
    ):
        result = runner.invoke(args=["partners", *args])
        assert result.exit_code != 0, args
    assert "two-words" in runner.invoke(args=["partners", "create", "two words", "N", "a@b.example"]).output
    listed = runner.invoke(args=["partners", "list"]).output
    assert listed.count("\n") == 1 and "https://x.example" not in listed


def test_console_admin_registers_a_partner_and_sees_its_credit_and_unknown_keys(app, console_client, widget, campaign):
    client = console_client("admin")
    sign_from(widget, campaign, ref="quetta-net")
    sign_from(widget, campaign, ref="quetta-net~whatsapp")  # a share from the partner's page
    sign_from(widget, campaign, ref="Some Unknown Org")  # kept as given (made to follow the rule)
    refused = post_form(client, "/console/partners", {"key": "quetta net", "name": "", "contact_email": "x"})
    assert refused.status_code == 422
    assert "quetta-net" in refused.get_data(as_text=True)  # the key it would take is suggested
    created = post_form(client, "/console/partners", {
        "key": "quetta-net", "name": "Quetta Network", "contact_email": "c@quetta.example",
        "origins": "https://quetta.example\nhttps://blog.quetta.example",
    })
    assert created.status_code == 303 and "/console/partners/quetta-net" in created.headers["Location"]
    page = client.get("/console/partners").get_data(as_text=True)
    assert "Quetta Network" in page
    assert 'quetta-net</td>\n      <td>active</td>\n      <td>2</td>' in page
    assert "Unknown keys" in page and "Some-Unknown-Org" in page
    detail = client.get("/console/partners/quetta-net").get_data(as_text=True)
    assert "https://blog.quetta.example" in detail and "c@quetta.example" in detail
    urdu = client.get("/console/partners?lang=ur").get_data(as_text=True)
    assert 'dir="rtl"' in urdu
    taken = post_form(client, "/console/partners", {"key": "quetta-net", "name": "Other", "contact_email": "o@x.example"})
    assert taken.status_code == 422


def test_console_changes_are_audited_and_a_viewer_sees_no_partner(app, console_client, runner, make_partner):
    make_partner("quetta-net")
    admin = console_client("admin")
    token_page = "/console/partners/quetta-net"
    bad = post_form(admin, "/console/partners/quetta-net/origins", {"origin": "not an origin"}, token_from=token_page)
    assert bad.status_code == 422
    added = post_form(admin, "/console/partners/quetta-net/origins", {"origin": "https://q.example"}, token_from=token_page)
    assert added.status_code == 303
    removed = post_form(admin, "/console/partners/quetta-net/origins", {"action": "remove", "origin": "https://q.example"}, token_from=token_page)
    assert removed.status_code == 303
    disabled = post_form(admin, "/console/partners/quetta-net/status", {"status": "disabled"}, token_from=token_page)
    assert disabled.status_code == 303
    assert "quetta-net\tdisabled" in runner.invoke(args=["partners", "list"]).output
    audit = runner.invoke(args=["audit", "tail"]).output
    for action in ("partner.origin_add", "partner.origin_remove", "partner.disable"):
        assert f"{admin.account.email}\t{action}\tquetta-net" in audit
    viewer = console_client("viewer")
    assert viewer.get("/console/partners").status_code == 403
    assert viewer.get("/console/partners/quetta-net").status_code == 403
