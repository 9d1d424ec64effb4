"""An allied organisation's website that embeds the petition widget (on /donate the donate widget,
on /act the take-action, coordinator and notify-me widgets), on another site than the service.

    python demo/allied_site.py --port 5001 --service http://127.0.0.1:5000

then open http://localhost:5001/ (English) and http://localhost:5001/ur (Urdu). The page is read
as "localhost" and the service as "127.0.0.1": two different sites, the way allies embed it.
Standard library only; the tests run ``make_server`` in a thread on a free port.
"""
import argparse
import html
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlencode

PARTNER = "demo-ally"
ICON = (Path(__file__).with_name("favicon.ico")).read_bytes()  # the ally's own, not MSP's

TEXTS = {
    "en": {
        "dir": "ltr",
        "org": "Quetta Solidarity Network",
        "title": "Stand with the Hazara of Quetta",
        "intro": (
            "We are a volunteer network of families, teachers and students in Pakistan and abroad. "
            "We support Minority Support Pakistan's petition for accountability, religious freedom "
            "and security. Please add your name below, then share this page with your friends."
        ),
        "noscript_title": "The same petition, embedded without JavaScript",
        "noscript_intro": "Sites that do not allow third-party scripts can paste this plain iframe instead:",
        "other": ("ur", "اردو"),
        "footer": "Quetta Solidarity Network is an independent ally of Minority Support Pakistan.",
    },
    "ur": {
        "dir": "rtl",
        "org": "کوئٹہ یکجہتی نیٹ ورک",
        "title": "کوئٹہ کے ہزارہ کے ساتھ کھڑے ہوں",
        "intro": (
            "ہم پاکستان اور بیرونِ ملک خاندانوں، اساتذہ اور طلبہ کا رضاکار نیٹ ورک ہیں۔ ہم احتساب، مذہبی "
            "آزادی اور تحفظ کے لیے مائنارٹی سپورٹ پاکستان کی درخواست کی حمایت کرتے ہیں۔ نیچے اپنا نام "
            "شامل کریں اور یہ صفحہ اپنے دوستوں کو بھیجیں۔"
        ),
        "noscript_title": "یہی درخواست، جاوا اسکرپٹ کے بغیر",
        "noscript_intro": "جو ویب سائٹس بیرونی اسکرپٹ کی اجازت نہیں دیتیں، وہ یہ سادہ iframe لگا سکتی ہیں:",
        "other": ("en", "English"),
        "footer": "کوئٹہ یکجہتی نیٹ ورک مائنارٹی سپورٹ پاکستان کا ایک آزاد حلیف ہے۔",
    },
}

# The host's own CSS, on purpose a little opinionated: the widget must look right regardless.
HOST_CSS = """
* { box-sizing: content-box; }
body { margin: 0; font: 18px/1.6 Georgia, "Times New Roman", serif; color: #222; background: #f4efe6; }
header { background: #3b2f5c; color: #fff; padding: 12px 20px; display: flex; gap: 16px;
         justify-content: space-between; align-items: center; flex-wrap: wrap; }
header a { color: #ffd98a; }
main { max-width: 720px; margin: 0 auto; padding: 20px; }
h1 { font-size: 2rem; color: #3b2f5c; margin: 0 0 12px; }
p { margin: 0 0 16px; }
iframe { border: 2px solid #d8cfc0; }
pre { background: #222; color: #eee; padding: 12px; white-space: pre-wrap; word-break: break-all;
      font-size: 13px; direction: ltr; text-align: left; }
footer { padding: 20px; text-align: center; font-size: 14px; color: #666; }
"""


def snippet(service_url, lang, campaign="hazara-quetta", partner=PARTNER, widget="petition"):
    """The script-only snippet, exactly as documented (it reserves no space before the loader runs)."""
    return (
        f'<script async src="{html.escape(service_url)}/embed.js" data-campaign="{html.escape(campaign)}" '
        f'data-widget="{widget}" data-lang="{lang}" data-partner="{html.escape(partner)}"></script>'
    )


# The space each widget's placeholder reserves before the loader arrives, as docs/allies.md gives it
# (widget_service/views/embed.py's reserved_height: a test keeps the two the same).
RESERVED = {
    ("petition", "en"): "clamp(804px, calc(1094px - 40.25vw), 965px)",
    ("petition", "ur"): "clamp(988px, calc(1474px - 67.50vw), 1258px)",
    ("actions", "en"): "clamp(454px, calc(677px - 31.00vw), 578px)",
    ("actions", "ur"): "clamp(589px, calc(823px - 32.50vw), 719px)",
    ("coordinator", "en"): "clamp(753px, calc(1158px - 56.25vw), 978px)",
    ("coordinator", "ur"): "clamp(966px, calc(1418px - 62.75vw), 1217px)",
    ("notify", "en"): "clamp(432px, calc(628px - 27.25vw), 541px)",
    ("notify", "ur"): "clamp(552px, calc(827px - 38.25vw), 705px)",
    ("donate", "en"): "clamp(799px, calc(1285px - 67.50vw), 1069px)",
    ("donate", "ur"): "clamp(1041px, calc(1531px - 68.00vw), 1313px)",
}


def placeholder_snippet(service_url, lang, campaign="hazara-quetta", partner=PARTNER, widget="petition"):
    """The snippet the README and docs/allies.md recommend: a placeholder that holds the widget's space from the
    start (so the page does not jump when the widget arrives), and the loader."""
    return (
        f'<div class="msp-widget" data-campaign="{html.escape(campaign)}" data-widget="{widget}" data-lang="{lang}" '
        f'data-partner="{html.escape(partner)}" style="min-height:{RESERVED[widget, lang]}"></div>'
        f'<script async src="{html.escape(service_url)}/embed.js"></script>'
    )


# The documented no-script heights (docs/allies.md): the form with its error messages fits on a phone,
# and wider screens, where the form's lines are longer and fewer, get less. Old browsers that
# know no clamp() use the height attribute.
NOSCRIPT_HEIGHTS = {
    "en": "clamp(940px, calc(1444px - 80vw), 1250px)",
    "ur": "clamp(1180px, calc(1980px - 120vw), 1650px)",
}


def iframe_snippet(service_url, lang, campaign="hazara-quetta", partner=PARTNER):
    """The no-script form: a plain iframe whose height follows the screen's width."""
    query = urlencode({"lang": lang, "ref": partner})
    src = f"{service_url}/widgets/{campaign}/petition?{query}"
    return (
        f'<iframe src="{html.escape(src)}" title="Minority Support Pakistan: petition" loading="lazy" '
        f'width="100%" height="1350" style="border:0;height:{NOSCRIPT_HEIGHTS[lang]}"></iframe>'
    )


def layout(lang, title, intro, body, header_extra=""):
    """The ally's page frame in ``lang``: header, title, introduction, ``body``, footer."""
    t = TEXTS[lang]
    return f"""<!doctype html>
<html lang="{lang}" dir="{t['dir']}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title} · {t['org']}</title>
<style>{HOST_CSS}</style>
</head>
<body>
<header>
<strong>{t['org']}</strong>{header_extra}
</header>
<main>
<h1>{title}</h1>
<p>{intro}</p>
{body}
</main>
<footer>{t['footer']}</footer>
</body>
</html>
"""


def page(service_url, lang, campaign="hazara-quetta", extra_html=""):
    """The ally's page in ``lang`` ("en" or "ur") with the widget embedded twice: script and iframe."""
    t = TEXTS[lang]
    plain = iframe_snippet(service_url, lang, campaign)
    body = f"""{placeholder_snippet(service_url, lang, campaign)}
<section id="noscript">
<h2>{t['noscript_title']}</h2>
<p>{t['noscript_intro']}</p>
<pre><code>{html.escape(plain)}</code></pre>
{plain}
</section>
{extra_html}"""
    return layout(lang, t["title"], t["intro"], body, language_switch(lang, "/"))


WIDGET_PAGE_TEXTS = {
    "donate": {
        "en": {"title": "Support Minority Support Pakistan", "intro": "Your gift funds MSP's work for the Hazara of Quetta."},
        "ur": {"title": "مائنارٹی سپورٹ پاکستان کی مدد کریں", "intro": "آپ کا عطیہ کوئٹہ کے ہزارہ کے لیے ایم ایس پی کے کام میں مدد دیتا ہے۔"},
    },
    "act": {
        "en": {"title": "Get involved", "intro": "Share the petition, coordinate the campaign in your region, or hear of the next action."},
        "ur": {"title": "شامل ہوں", "intro": "پٹیشن آگے بھیجیں، اپنے علاقے میں مہم کو آرگنائز کریں، یا اگلے اقدام کی خبر پائیں۔"},
    },
}
PAGE_WIDGETS = {"donate": ("donate",), "act": ("actions", "coordinator", "notify")}


def language_switch(lang, path):
    """The header's link to the same page (``path``, the English one) in the other language."""
    other_lang, other_label = TEXTS[lang]["other"]
    href = path if other_lang == "en" else "/ur" + path.rstrip("/")
    return f' <a href="{href}" lang="{other_lang}" hreflang="{other_lang}">{other_label}</a>'


def widget_page(service_url, lang, name, campaign="hazara-quetta"):
    """One of the ally's other pages (``name``: "donate" or "act") in ``lang``, embedding its widgets."""
    d = WIDGET_PAGE_TEXTS[name][lang]
    snippets = "\n".join(placeholder_snippet(service_url, lang, campaign, widget=widget) for widget in PAGE_WIDGETS[name])
    return layout(lang, d["title"], d["intro"], snippets, language_switch(lang, f"/{name}"))


class Handler(BaseHTTPRequestHandler):
    """Serves the pages in ``server.routes`` by path; anything else is a 404."""

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/favicon.ico":
            return self.send(200, "image/vnd.microsoft.icon", ICON)
        body = self.server.routes.get(path)
        data = (body if body is not None else "<!doctype html><title>Not found</title>").encode()
        self.send(200 if body is not None else 404, "text/html; charset=utf-8", data)

    def send(self, status, content_type, data):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        if not self.server.quiet:
            super().log_message(format, *args)


def make_server(host, port, service_url, campaign="hazara-quetta", pages=None, quiet=True):
    """A ``ThreadingHTTPServer`` for the ally's site (not started). ``pages`` adds ``{path: html}``;
    tests add more later through ``server.routes``."""
    service_url = service_url.rstrip("/")
    server = ThreadingHTTPServer((host, port), Handler)
    server.quiet = quiet
    server.routes = {
        "/": page(service_url, "en", campaign), "/ur": page(service_url, "ur", campaign),
        **{
            f"{prefix}/{name}": widget_page(service_url, lang, name, campaign)
            for name in PAGE_WIDGETS for prefix, lang in (("", "en"), ("/ur", "ur"))
        },
    }
    server.routes.update(pages or {})
    return server


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--service", default="http://127.0.0.1:5000", help="the widget service's URL")
    parser.add_argument("--campaign", default="hazara-quetta")
    args = parser.parse_args()
    server = make_server(args.host, args.port, args.service, args.campaign, quiet=False)
    print(f"Allied site on http://localhost:{args.port}/ and /ur, embedding {args.service}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
