/* MSP widget loader: turns snippets into iframes and resizes them. No dependencies. */
(function () {
  'use strict';
  if (window.MSPWidget) { window.MSPWidget.scan(); return; } // loaded twice: just rescan
  var me = document.currentScript;
  var base = new URL(me.src);
  var origin = base.origin;
  var frames = [];
  var TITLES = {
    petition: ['Minority Support Pakistan petition', 'مائنارٹی سپورٹ پاکستان کی پٹیشن'],
    actions: ['Minority Support Pakistan: take action', 'مائنارٹی سپورٹ پاکستان: مزید اقدامات']
  };
  var HEIGHTS = { actions: 560 };

  // Default styles go first in <head>, so the host page's own CSS can override them.
  var css = document.createElement('style');
  css.textContent = '.msp-widget-frame{display:block;width:100%;border:0;' +
    'color-scheme:normal;opacity:0;transition:opacity .2s}.msp-widget-frame.msp-loaded{opacity:1}';
  document.head.insertBefore(css, document.head.firstChild);

  // One iframe per snippet: a <script data-campaign> or a <div class="msp-widget">.
  function build(el) {
    var d = el.dataset, kind = d.widget || 'petition';
    el.setAttribute('data-msp-done', '');
    var q = new URLSearchParams({ origin: location.origin });
    if (d.lang) q.set('lang', d.lang);
    if (d.partner) q.set('ref', d.partner);
    var f = document.createElement('iframe');
    f.src = origin + '/widgets/' + encodeURIComponent(d.campaign) + '/' + encodeURIComponent(kind) + '?' + q;
    f.title = d.title || (TITLES[kind] || TITLES.petition)[d.lang === 'ur' ? 1 : 0];
    f.className = 'msp-widget-frame';
    f.loading = 'lazy';
    f.height = d.height || HEIGHTS[kind] || '620';
    f.allow = 'clipboard-write; web-share'; // the share panel's copy button and share sheet
    f.onload = function () { f.classList.add('msp-loaded'); };
    if (el.tagName === 'SCRIPT') el.parentNode.insertBefore(f, el.nextSibling);
    else el.appendChild(f);
    frames.push(f);
  }

  function scan() {
    var els = document.querySelectorAll('script[data-campaign]:not([data-msp-done]),div.msp-widget:not([data-msp-done])');
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      if (el.tagName !== 'SCRIPT' || new URL(el.src, location.href).origin === origin) build(el);
    }
  }

  // Only our own iframes may resize themselves, and only with our message shape.
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
  // An async loader may run before the parser reaches placeholders further down the page.
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', scan);
})();
