"""In Chromium, as MSP staff would: the set-up link from ``flask staff create``, a password,
the authenticator enrolled with a code computed from the secret shown as text, the recovery
codes, then signing out and in again. Pages are checked at phone width in both languages."""
import os
import re
import time

import pyotp
import pytest


pytestmark = pytest.mark.browser

PASSWORD = "a long password for the console"
SHOTS = os.environ.get("CONSOLE_SCREENSHOTS")  # a folder: save screenshots there to look at


def shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def fits(page):
    """Nothing sticks out sideways (readable without scrolling across)."""
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def create_link(live_service, email, role="admin"):
    live_service.app.config["PUBLIC_URL"] = live_service.url
    runner = live_service.app.test_cli_runner()
    result = runner.invoke(args=["staff", "create", email, "--role", role])
    assert result.exit_code == 0, result.output
    return re.search(r"https?://\S+", result.output).group(0)


@pytest.mark.parametrize("lang, width", [("en", 360), ("ur", 360), ("en", 1280), ("ur", 1280)])
def test_set_up_from_the_link_then_sign_out_and_in_again(live_service, new_context, lang, width):
    email = f"staff-{lang}-{width}@msp.example"
    link = create_link(live_service, email)
    context = new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    messages = []
    page.on("console", lambda message: messages.append(message.text))
    suffix = f"{lang}-{width}"

    # A link mistyped or spent: a page that says what to do.
    page.goto(link.replace("token=", "token=x") + ("&lang=ur" if lang == "ur" else ""))
    assert page.locator("p.message").count() == 1 and fits(page)
    shot(page, f"0-link-not-valid-{suffix}")

    page.goto(link + ("&lang=ur" if lang == "ur" else ""))
    assert "token" not in page.url  # dropped from the address bar at once
    if lang == "ur":
        assert page.locator("html").get_attribute("dir") == "rtl"
    assert fits(page)
    shot(page, f"1-password-{suffix}")
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.locator("form.stack button[type=submit]").click()

    page.wait_for_selector("#totp-secret")
    assert page.locator(".qr svg").count() == 1
    assert fits(page)
    shot(page, f"2-authenticator-{suffix}")
    secret = page.inner_text("#totp-secret").replace(" ", "")
    page.fill("#code", pyotp.TOTP(secret).now())
    page.locator("form.stack button[type=submit]").click()

    page.wait_for_selector("#recovery-codes")
    assert page.locator("#recovery-codes code").count() == 10
    assert fits(page)
    shot(page, f"3-recovery-codes-{suffix}")
    page.locator("a.button").click()
    page.wait_for_selector("form.who")
    assert email in page.inner_text("form.who")
    cookies = context.cookies()
    assert [(c["name"], c["path"], c["httpOnly"], c["sameSite"]) for c in cookies] == [("msp_console", "/console", True, "Strict")]

    page.locator("form.who button").click()  # sign out
    page.wait_for_selector("#email")
    assert page.locator(".notice").count() == 1
    shot(page, f"4-sign-in-{suffix}")
    assert fits(page)
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    # The code of the next time step: the one used to enrol is spent.
    page.fill("#code", pyotp.TOTP(secret).at(time.time() + 30))
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_selector("form.who")
    assert page.locator("html").get_attribute("lang") == lang
    shot(page, f"5-signed-in-{suffix}")

    page.goto(f"{live_service.url}/console/sign-in?lang={lang}")  # signed in: back to the console
    page.wait_for_selector("form.who")
    page.locator("form.who button").click()
    page.wait_for_selector("#email")
    page.fill("#email", email)
    page.fill("#password", "not the password at all")
    page.fill("#code", "123456")
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_selector(".error")
    assert fits(page)
    shot(page, f"6-sign-in-refused-{suffix}")
    assert [text for text in messages if "Content Security Policy" in text] == []


def test_another_site_can_neither_frame_the_console_nor_post_to_it_as_the_staff_member(live_service, host_site, new_context):
    email = "cross-site@msp.example"
    link = create_link(live_service, email)
    context = new_context()
    page = context.new_page()
    page.goto(link)
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.locator("form.stack button[type=submit]").click()
    secret = page.inner_text("#totp-secret").replace(" ", "")
    page.fill("#code", pyotp.TOTP(secret).now())
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_selector("#recovery-codes")

    # A page on another site with a form aimed at the console, and the console in a frame.
    attacker = host_site.add("/lure", f"""<!doctype html><title>Lure</title>
        <form method="post" action="{live_service.url}/console/account/recovery-codes">
          <input name="code" value="123456"><button id="go">Go</button></form>
        <iframe id="frame" src="{live_service.url}/console/account"></iframe>""")
    page.goto(attacker)  # waits for the load event, which waits for the frame
    # The console refuses to be framed: nothing of it renders inside the other site's page.
    assert page.frame_locator("#frame").locator("body.console").count() == 0
    with page.expect_navigation():
        page.click("#go")
    # The strict cookie did not go along with the other site's post: 401, not signed in (with
    # the cookie, the missing CSRF token would have made it a 400).
    response_status = page.evaluate("() => performance.getEntriesByType('navigation')[0].responseStatus")
    assert response_status == 401
    # Still signed in on the console's own site.
    page.goto(f"{live_service.url}/console/account")
    assert email in page.inner_text("form.who")
