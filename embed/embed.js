/*! MSP widget loader: turns snippets into iframes and resizes them. No dependencies. */
/* The service serves it minified (rjsmin); this readable source is what it minifies. */
(function () {
  'use strict';
  if (window.MSPWidget) { window.MSPWidget.scan(); return; } // loaded twice
  var origin = new URL(document.currentScript.src).origin;
  var frames = [];
  // Per kind: title after MSP's name (en, ur); height until the widget reports its own.
  var ORG = ['Minority Support Pakistan', 'مائنارٹی سپورٹ پاکستان'];
  var KINDS = {
    petition: [' petition', ' کی پٹیشن', 1100],
    actions: [': take action', ': مزید اقدامات', 650],
    coordinator: [': become a coordinator', ': کوآرڈینیٹر بنیں', 1050],
    notify: [': get notified', ': اطلاع پائیں', 600],
    donate: [': donate', ': عطیہ دیں', 1250]
  };

  // Default styles first in <head>: the host page's CSS overrides them.
  var css = document.createElement('style');
  css.textContent = '.msp-widget-frame{display:block;width:100%;border:0;' +
    'color-scheme:normal;opacity:0;transition:opacity .2s}.msp-widget-frame.msp-loaded{opacity:1}';
  document.head.insertBefore(css, document.head.firstChild);

  // One iframe per <script data-campaign> or <div class="msp-widget">.
  function build(el) {
    var d = el.dataset, kind = d.widget || 'petition', ur = +(d.lang === 'ur');
    var k = KINDS[kind] || KINDS.petition;
    el.setAttribute('data-msp-done', '');
    var q = new URLSearchParams({ origin: location.origin });
    if (d.lang) q.set('lang', d.lang);
    if (d.partner) {
      q.set('ref', d.partner);
      // A key outside the rule is still credited, made to follow it: tell the ally what changes.
      try {
        if (!RegExp('^[\\p{L}\\p{N}][\\p{L}\\p{N}\\p{M}._~-]{0,63}$', 'u').test(d.partner)) {
          console.warn('MSP widget: data-partner "' + d.partner + '" is credited as a key of up to 64 ' +
            'letters, digits, . _ ~ -, starting with a letter or digit: other characters become -');
        }
      } catch (e) { /* no Unicode classes in this browser: no warning */ }
    }
    var f = document.createElement('iframe');
    f.src = origin + '/widgets/' + encodeURIComponent(d.campaign) + '/' + encodeURIComponent(kind) + '?' + q;
    f.title = d.title || ORG[ur] + k[ur];
    f.className = 'msp-widget-frame';
    f.loading = 'lazy';
    f.height = d.height || k[2];
    f.allow = 'clipboard-write; web-share'; // copy link, share sheet
    f.onload = function () { f.classList.add('msp-loaded'); };
    if (el.tagName === 'SCRIPT') el.after(f);
    else el.appendChild(f);
    frames.push(f);
    // A campaign only partners' sites may embed: here, its explanation instead of a blank frame.
    fetch(origin + '/embed/' + encodeURIComponent(d.campaign) + '/refusal?' + q).then(function (r) {
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
