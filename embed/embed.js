/*! MSP widget loader */
/* Turns snippets into iframes that fit their widget. No dependencies. The service serves it
   minified (rjsmin, within 1.5 KB gzipped); this readable source is what it minifies. */
(function () {
  'use strict';
  if (window.MSPWidget) { window.MSPWidget.scan(); return; } // loaded twice
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
    donate: [': donate', ': عطیہ دیں', 1069, 1313, 799, 1041]
  };

  // One iframe per <script data-campaign> or <div class="msp-widget">.
  function build(el) {
    var d = el.dataset, kind = d.widget || 'petition', ur = +(d.lang === 'ur');
    var k = KINDS[kind] || KINDS.petition, c = encodeURIComponent(d.campaign);
    d.mspDone = ''; // data-msp-done: built once
    var q = new URLSearchParams({ origin: location.origin });
    if (d.lang) q.set('lang', d.lang);
    if (d.partner) {
      q.set('ref', d.partner);
      // A key outside the rule is still credited, made to follow it: tell the ally what changes.
      try {
        if (!RegExp('^[\\p{L}\\p{N}][\\p{L}\\p{N}\\p{M}._~-]{0,63}$', 'u').test(d.partner)) {
          console.warn('MSP widget: data-partner "' + d.partner + '" is credited as a key of up to 64 letters, digits, . _ ~ -, starting with a letter or digit: other characters become -');
        }
      } catch (e) { /* no Unicode classes in this browser: no warning */ }
    }
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
    el.src ? el.after(f) : el.appendChild(f); // a script's frame goes after it, a div's in it
    // Start as tall as the space the snippet reserved (its min-height), else as this kind is at
    // this width; then the frame holds that space itself, free to follow its widget.
    f.height = d.height || parseInt(getComputedStyle(el).minHeight) ||
      k[2 + ur] + (k[4 + ur] - k[2 + ur]) * Math.min(Math.max(f.offsetWidth - 320, 0) / 400, 1) | 0;
    el.style.minHeight = 0;
    frames.push(f);
    // A campaign only partners' sites may embed: here, its explanation instead of a blank frame.
    fetch(origin + '/embed/' + c + '/refusal?' + q).then(function (r) {
      return r.status == 200 && r.text();
    }).then(function (t) { if (t) f.replaceWith(t); }, function () {});
  }

  function scan() {
    var els = document.querySelectorAll('script[data-campaign]:not([data-msp-done]),div.msp-widget:not([data-msp-done])');
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      if (el.tagName !== 'SCRIPT' || new URL(el.src, location.href).origin === origin) build(el);
    }
  }

  // Only our own iframes resize themselves, with our message shape.
  window.addEventListener('message', function (e) {
    var m = e.data;
    if (e.origin !== origin || !m || !m.mspWidget || m.type !== 'resize') return;
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === e.source) {
        frames[i].style.height = Math.max(80, Math.min(+m.height || 0, 20000)) + 'px';
      }
    }
  });

  window.MSPWidget = { scan: scan };
  scan();
  // Loaded async: placeholders may come later.
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', scan);
})();
