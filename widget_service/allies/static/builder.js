/* The snippet builder, live: as the ally chooses, the snippets, the preview and the page's
   address follow, and the copy buttons copy. The same text as the server writes
   (widget_service/allies/builder.py); without this script, the form's button asks the server. */
(function () {
  'use strict';
  var form = document.querySelector('form.builder');
  if (!form || !window.URLSearchParams) return;
  var base = form.getAttribute('data-base'), slug = form.getAttribute('data-slug');
  var preview = document.getElementById('preview');
  var credited = document.getElementById('b-partner-credited');
  form.querySelector('button[type=submit]').hidden = true;

  function escape(s) {
    return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
      .replace(/"/g, '&#34;').replace(/'/g, '&#39;');
  }

  // validation.partner_key: letters, digits and marks of any script and . _ ~ - are kept;
  // invisible formatting characters go; each run of anything else becomes one -.
  function partnerKey(text) {
    var kept = '', replaced = false;
    try { text = text.normalize('NFKC'); } catch (e) { /* keep as typed */ }
    Array.from(text).forEach(function (c) {
      if (/[\p{L}\p{N}\p{M}._~-]/u.test(c)) { kept += c; replaced = false; }
      else if (!/\p{Cf}/u.test(c) && !replaced) { kept += '-'; replaced = true; }
    });
    kept = kept.replace(/^[^\p{L}\p{N}]+/u, '');
    return Array.from(kept).slice(0, 64).join('').replace(/-+$/, '');
  }

  function checked(name, otherwise) {
    return (form.querySelector('input[name=' + name + ']:checked') || {}).value || otherwise;
  }

  // The look and layout as builder.Choice.look() writes them: [name, value] pairs, the defaults
  // (theme.py) left out; a radius outside 0-24 is brought within it, one that is no number left out.
  function look() {
    var accent = form.elements.accent.value.toLowerCase(), radius = form.elements.radius.value;
    radius = radius.length <= 4 && /^\s*[+-]?\d+\s*$/.test(radius) ? Math.min(24, Math.max(0, parseInt(radius, 10))) : 6;
    var pairs = [
      ['accent', /^#[0-9a-f]{6}$/.test(accent) && accent !== '#0b6e4f' ? accent.slice(1) : ''],
      ['theme', checked('theme', 'light') === 'light' ? '' : checked('theme')],
      ['radius', radius === 6 ? '' : String(radius)],
      ['font', checked('font', 'system') === 'system' ? '' : checked('font')],
      ['layout', checked('layout', 'full') === 'full' ? '' : checked('layout')]
    ];
    return pairs.filter(function (p) { return p[1]; });
  }

  function choice() {
    var given = form.elements.partner.value.trim().slice(0, 200);
    return {
      kind: form.querySelector('input[name=kind]:checked'),
      lang: checked('widget_lang', ''),
      given: given,
      partner: given ? partnerKey(given) : '',
      look: look(),
      layout: checked('layout', 'full')
    };
  }

  // The widget page's query, as the loader makes it (no iframe opens a dialog: a button's is the full widget).
  function query(c, extra) {
    var q = new URLSearchParams(extra || {});
    if (c.lang) q.set('lang', c.lang);
    if (c.partner) q.set('ref', c.partner);
    c.look.forEach(function (p) { if (p[0] !== 'layout' || p[1] !== 'button') q.set(p[0], p[1]); });
    var s = q.toString().replace(/%7E/g, '~');
    return s ? '?' + s : '';
  }

  function update() {
    var c = choice(), kind = c.kind.value, height = c.kind.getAttribute('data-height');
    // The compact form's room (builder.compact_room): its iframe height, en and ur min-height.
    var compact = c.kind.getAttribute('data-compact').split('|');
    var space = c.kind.getAttribute(c.lang === 'ur' ? 'data-space-ur' : 'data-space-en');
    if (c.layout === 'compact') { height = compact[0]; space = compact[c.lang === 'ur' ? 2 : 1]; }
    var title = c.kind.getAttribute(c.lang === 'ur' ? 'data-title-ur' : 'data-title-en');
    var data = ' data-campaign="' + escape(slug) + '" data-widget="' + escape(kind) + '"' +
      (c.lang ? ' data-lang="' + escape(c.lang) + '"' : '') +
      (c.partner ? ' data-partner="' + escape(c.partner) + '"' : '') +
      c.look.map(function (p) { return ' data-' + p[0] + '="' + escape((p[0] === 'accent' ? '#' : '') + p[1]) + '"'; }).join('') +
      (c.layout === 'button' ? '' :  // a button needs no room kept for a whole widget
        ' style="min-height:' + escape(space) + '"');
    document.getElementById('snippet-script').value = '<div class="msp-widget"' + data + '></div>\n' +
      '<script async src="' + escape(base) + '/embed.js"></' + 'script>';
    var path = '/widgets/' + slug + '/' + kind + query(c);
    document.getElementById('snippet-iframe').value =
      '<iframe src="' + escape(base + path) + '" title="' + escape(title) + '" width="100%" height="' + height +
      '" style="border:0" loading="lazy" allow="clipboard-write; web-share"></iframe>';
    if (preview.getAttribute('src') !== path) {
      preview.setAttribute('src', path);
      preview.title = title;
      preview.height = height;
    }
    document.getElementById('iframe-button-note').hidden = c.layout !== 'button';
    credited.textContent = c.partner && c.partner !== c.given ?
      credited.getAttribute('data-msg').replace('{key}', c.partner) : '';
    var page = new URLSearchParams({ lang: form.elements.lang.value, kind: kind });
    if (c.lang) page.set('widget_lang', c.lang);
    if (c.partner) page.set('partner', c.partner);
    c.look.forEach(function (p) { page.set(p[0], p[1]); });
    history.replaceState(null, '', location.pathname + '?' + page);
  }

  // The preview is a page of this same service: it is made as tall as the widget in it, whatever
  // the kind and layout (the loader does the same on an ally's page, from the widget's messages).
  function fit() {
    try {
      preview.height = Math.ceil(preview.contentDocument.documentElement.getBoundingClientRect().height);
    } catch (e) { /* not loaded yet */ }
  }
  preview.addEventListener('load', function () {
    fit();
    if (window.ResizeObserver) new ResizeObserver(fit).observe(preview.contentDocument.documentElement);
  });

  form.addEventListener('change', update);
  form.addEventListener('input', update);
  form.addEventListener('submit', function (e) { e.preventDefault(); update(); });

  document.querySelectorAll('button[data-copy]').forEach(function (button) {
    button.addEventListener('click', function () {
      var box = document.getElementById(button.getAttribute('data-copy'));
      var status = button.parentNode.querySelector('.status');
      function done() { status.textContent = button.getAttribute('data-done'); }
      box.select();
      if (navigator.clipboard) navigator.clipboard.writeText(box.value).then(done, function () {});
      else if (document.execCommand('copy')) done();
    });
  });
})();
