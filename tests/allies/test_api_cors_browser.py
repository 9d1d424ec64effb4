"""An ally's own form (issue 17, item 6), in Chromium: a page on a partner's registered origin
gets a form token and signs with its own ``fetch()`` through the JSON API of a ``partners``
campaign; the same page on an origin nobody registered is blocked, and nothing is stored."""
import pytest

from tests.browser import SLUG, TIMEOUT_MS, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

# The ally's page: its own form, its own script, no widget. ``#out`` says what happened.
PAGE = """<!doctype html><html lang="en"><title>Ally's own form</title>
<form id="sign"><input name="name" value="Ayesha Khan"><input name="email" value="{email}">
<input name="country" value="PK"><button>Sign</button></form><p id="out"></p>
<script>
const api = "{service}/api/v1/campaigns/{slug}";
const out = document.getElementById("out");
document.getElementById("sign").addEventListener("submit", async (event) => {{
  event.preventDefault();
  const steps = [];
  let token = "";
  try {{
    const answer = await fetch(`${{api}}/form-tokens/petition`, {{method: "POST"}});
    token = (await answer.json()).form_token;
    steps.push(`token ${{answer.status}}`);
  }} catch (error) {{
    steps.push("token blocked");
  }}
  try {{
    const body = {{...Object.fromEntries(new FormData(event.target)), form_token: token,
                  ref: "quetta-net", origin: location.origin}};
    const answer = await fetch(`${{api}}/signatures`, {{
      method: "POST", body: JSON.stringify(body), headers: {{"Content-Type": "application/json"}},
    }});
    steps.push(`sign ${{answer.status}} ${{(await answer.json()).message}}`);
  }} catch (error) {{
    steps.push("sign blocked");
  }}
  out.textContent = steps.join("; ");
}});
</script>"""


def send_form(page, url):
    page.goto(url)
    page.click("button")
    wait_for(page, lambda: page.inner_text("#out"), lambda: "the page's script did not finish", TIMEOUT_MS)
    return page.inner_text("#out")


def test_a_partners_page_signs_with_its_own_form_and_an_unregistered_one_is_blocked(page, host_site, live_service):
    runner = live_service.app.test_cli_runner()
    created = runner.invoke(args=["partners", "create", "quetta-net", "Q", "q@q.example", "--origin", host_site.origin])
    assert created.exit_code == 0, created.output
    assert runner.invoke(args=["partners", "policy", SLUG, "partners"]).exit_code == 0

    registered = host_site.add("/registered", PAGE.format(email="ayesha@example.org", service=live_service.url, slug=SLUG))
    assert send_form(page, registered) == "token 200; sign 202 Thank you. Your signature has been received."
    [row] = live_service.signatures(email="ayesha@example.org")
    assert (row["ref"], row["source_origin"], row["state"]) == ("quetta-net", host_site.origin, "counted")
    assert live_service.count() == 1

    # The same page served from an origin no partner registered: the token's answer is
    # refused (403, unreadable), the signature's preflight too, so its post is never sent.
    host_site.add("/unregistered", PAGE.format(email="bilal@example.org", service=live_service.url, slug=SLUG))
    assert send_form(page, host_site.other_origin_url + "/unregistered") == "token blocked; sign blocked"
    assert live_service.signatures(email="bilal@example.org") == []
    assert live_service.count() == 1

    # On an open campaign any site's own form signs.
    assert runner.invoke(args=["partners", "policy", SLUG, "open"]).exit_code == 0
    host_site.add("/open", PAGE.format(email="chand@example.org", service=live_service.url, slug=SLUG))
    assert send_form(page, host_site.other_origin_url + "/open").startswith("token 200; sign 202")
    assert live_service.count() == 2
