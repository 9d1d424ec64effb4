/* MSP widget loader: turns snippets into iframes that fit their widget, and tells the host page
   what the widget did (DOM events). No dependencies. The service serves it minified, local names
   shortened (widget_service/views/embed.py; within 1.5 KB gzipped): this is the source. */
(function () {
  if (window.MSPWidget) return window.MSPWidget.scan(); // loaded twice
  var origin = new URL(document.currentScript.src).origin;
  var frames = [];
  // Per kind: title after MSP's name (en, ur); then the widget's height (en, ur) in a column up to
  // 320px wide and (en, ur) from 720px on, a straight line between: measured in Chromium with the
  // demo campaign, so a frame starts about as tall as its widget and the page barely moves when
  // the widget reports its height. widget_service/views/embed.py holds the same numbers.
  var ORG = ['Minority Support Pakistan', 'مائنارٹی سپورٹ پاکستان'];
  var KINDS = {
    petition: [' petition', ' کی پٹیشن', 965, 1258, 804, 988],
    actions: [': take action', ': مزید اقدامات', 578, 719, 454, 589],
    coordinator: [': become a coordinator', ': کوآرڈینیٹر بنیں', 978, 1217, 753, 966],
    notify: [': get notified', ': اطلاع پائیں', 541, 705, 432, 552],
    donate: [': donate', ': عطیہ دیں', 1069, 1313, 799, 1041],
    counter: [': signature count', ': دستخطوں کی تعداد', 132, 157, 132, 157]
  };

  // One iframe per <script data-campaign> or <div class="msp-widget">.
  function build(el) {
    var d = el.dataset, kind = d.widget || 'petition', ur = +(d.lang == 'ur');
    var k = KINDS[kind] || KINDS.petition, c = encodeURIComponent(d.campaign);
    d.mspDone = ''; // data-msp-done: built once
    var q = new URLSearchParams({ origin: location.origin });
    // The language and the ally's look, as given: the widget page checks them.
    'lang accent theme radius font layout'.split(' ').forEach(function (a) { if (d[a]) q.set(a, d[a]); });
    // (A partner key outside the rule is still credited, made to follow it: the widget tells.)
    if (d.partner) q.set('ref', d.partner);
    var f = document.createElement('iframe');
    f.src = origin + '/widgets/' + c + '/' + encodeURIComponent(kind) + '?' + q;
    f.title = d.title || ORG[ur] + k[ur];
    f.className = 'msp-widget-frame';
    f.loading = 'lazy';
    f.allow = 'clipboard-write; web-share'; // copy link, share sheet
    // Styles through the CSSOM, which a host page's CSP allows where it forbids inline styles
    // (a <style> element, a style attribute). On the frame itself, so the host's own rules for
    // iframes leave it alone; a host that wants another look uses !important.
    f.style.cssText = 'display:block;width:100%;border:0;color-scheme:normal;opacity:0;transition:opacity .2s';
    f.onload = function () { f.style.opacity = 1; };
    f.msp = [el, d.campaign, kind]; // whose events its messages become
    if (d.layout == 'button') {
      // A button that opens the widget in a dialog: embed/modal.js, loaded the first time a
      // snippet asks for it, takes the snippets queued for it in MSPWidget.modal.
      if (!api.modal) {
        api.modal = [];
        var s = document.createElement('script');
        s.src = origin + '/embed/modal.js?v=VERSION'; // the service puts modal.js's version here
        document.head.appendChild(s);
      }
      api.modal.push([el, f, kind, ur]);
    } else el.src ? el.after(f) : el.appendChild(f); // a script's frame goes after it, a div's in it
    // Start as tall as the space the snippet reserved (its min-height), else as this kind is at
    // this width; then the frame holds that space itself, free to follow its widget.
    f.height = d.height || parseInt(getComputedStyle(el).minHeight) ||
      k[2 + ur] + (k[4 + ur] - k[2 + ur]) * Math.min(Math.max(f.offsetWidth - 320, 0) / 400, 1) | 0;
    el.style.minHeight = 0;
    frames.push(f);
    // A campaign only partners' sites may embed: here, its explanation instead of a blank frame.
    fetch(origin + '/embed/' + c + '/refusal?' + q).then(function (r) {
      return r.ok && r.text(); // 204: allowed
    }).then(function (t) { if (t) f.replaceWith(t); }, function () {});
  }

  function scan() {
    var els = document.querySelectorAll('script[data-campaign]:not([data-msp-done]),div.msp-widget:not([data-msp-done])');
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      if (el.tagName != 'SCRIPT' || new URL(el.src, location.href).origin === origin) build(el);
    }
  }

  // Only our own iframes talk to us, with our message shape. Each message becomes an event on
  // its snippet, bubbling to the document, for the host page's own analytics: which campaign,
  // widget and language, never anything about the supporter. A resize also fits the frame.
  window.addEventListener('message', function (e) {
    var m = e.data || {}, t = m.type;
    if (e.origin !== origin || !m.mspWidget) return;
    frames.forEach(function (f) {
      if (f.contentWindow !== e.source) return;
      var detail = { campaign: f.msp[1], widget: f.msp[2], lang: m.lang };
      if (t == 'resize') f.style.height = (detail.height = Math.max(80, m.height)) + 'px';
      f.msp[0].dispatchEvent(new CustomEvent('msp:' + t, { bubbles: true, detail: detail }));
    });
  });

  var api = window.MSPWidget = { scan: scan };
  scan();
  // Loaded async: more placeholders may come until the page is parsed (added after that, the
  // listener never fires; scan builds each snippet once, however often it runs).
  document.addEventListener('DOMContentLoaded', scan);
})();
