/* The button layout (data-layout="button"): a button on the host page that opens the widget in a
   modal dialog. embed.js loads this only for a page with such a snippet, and queues the snippets
   it finds before this arrives in MSPWidget.modal; later ones come to show() directly. */
(function () {
  'use strict';
  var api = window.MSPWidget;
  var origin = new URL(document.currentScript.src).origin;
  // The button's text per kind, and the close button's (en, ur), in the widget's own words.
  var LABELS = {
    petition: ['Sign the petition', 'پٹیشن پر دستخط کریں'],
    actions: ['Take action', 'عملی قدم اٹھائیں'],
    coordinator: ['Become a coordinator', 'کوآرڈینیٹر بنیں'],
    notify: ['Get notified', 'اطلاع پائیں'],
    donate: ['Donate', 'عطیہ دیں']
  };
  var CLOSE = ['Close', 'بند کریں'];
  var ACCENT = '#0b6e4f'; // the widget's own, when the snippet gives none

  // The text colour that reads best on a background (black or white: one of the two is always
  // at 4.5:1 or more, whatever the ally's colour).
  function ink(hex) {
    var rgb = hex.length == 4 ? hex.slice(1).split('').map(function (c) { return c + c; }) : hex.slice(1).match(/../g);
    var lum = rgb.map(function (c) {
      c = parseInt(c, 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    lum = 0.2126 * lum[0] + 0.7152 * lum[1] + 0.0722 * lum[2];
    return (lum + 0.05) / 0.05 > 1.05 / (lum + 0.05) ? '#000' : '#fff';
  }

  function show(args) {
    var el = args[0], frame = args[1], kind = args[2], ur = args[3];
    var d = el.dataset, lang = ur ? 'ur' : 'en', dir = ur ? 'rtl' : 'ltr';
    // The accent as the widget reads it: 3 or 6 hex digits, with or without '#'; else its own.
    var accent = /^#?([0-9a-f]{3}){1,2}$/i.test(d.accent || '') ? '#' + d.accent.replace('#', '') : ACCENT;
    var radius = parseInt(d.radius, 10); // 0 (square corners) is a choice, not a missing value
    radius = Math.min(Math.max(isNaN(radius) ? 6 : radius, 0), 24) + 'px';

    // Every style through the CSSOM, on the elements themselves: a host page whose CSP forbids
    // inline styles allows it, and the host's own rules for buttons and dialogs leave them alone.
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'msp-widget-button';
    button.lang = lang;
    button.dir = dir;
    button.textContent = (LABELS[kind] || LABELS.petition)[ur];
    button.style.cssText = 'display:inline-block;visibility:visible;margin:0;padding:.7em 1.3em;border:0;' +
      'border-radius:' + radius + ';font:600 1rem/1.3 system-ui,sans-serif;cursor:pointer;' +
      'background:' + accent + ';color:' + ink(accent);

    var dialog = document.createElement('dialog');
    dialog.className = 'msp-widget-dialog';
    dialog.lang = lang;
    dialog.dir = dir;
    dialog.setAttribute('aria-modal', 'true');
    dialog.setAttribute('aria-label', frame.title); // the widget's own name, as the frame's
    dialog.style.cssText = 'box-sizing:border-box;width:min(40rem,calc(100vw - 1rem));max-width:none;' +
      'max-height:calc(100vh - 1rem);margin:auto;padding:0;border:0;border-radius:' + radius + ';' +
      'overflow:auto;background:#fff;color:#1b1f23;color-scheme:normal';

    var close = document.createElement('button');
    close.type = 'button';
    close.className = 'msp-widget-close';
    close.textContent = CLOSE[ur];
    close.autofocus = true; // where showModal puts the focus
    close.style.cssText = 'display:block;visibility:visible;margin:.5rem .5rem 0;margin-inline-start:auto;' +
      'padding:.4em .9em;border:1px solid #57606a;border-radius:' + radius + ';background:#fff;color:#1b1f23;' +
      'font:1rem/1.3 system-ui,sans-serif;cursor:pointer';
    close.onclick = function () { dialog.close(); };
    dialog.appendChild(close);

    // Focus stays in the dialog: showModal makes the rest of the page inert, but from the last
    // field of the widget the Tab key would go on to the browser's own controls. Two guards, one
    // at each end, send it round instead: past the end to the close button, back past the start
    // to the widget.
    var guard = function (to) {
      var g = document.createElement('span');
      g.tabIndex = 0;
      g.style.cssText = 'position:absolute;width:1px;height:1px;overflow:hidden;opacity:0';
      g.onfocus = function () { to().focus(); };
      return g;
    };
    dialog.insertBefore(guard(function () { return frame; }), close);

    // The button takes the frame's place (a script's after it, a div's in it); the dialog follows
    // it, so a page that removes the snippet removes both.
    el.src ? el.after(button) : el.appendChild(button);
    button.after(dialog);

    // Opening: the frame comes in the first time (nothing loads before), focus moves to the dialog
    // (its close button); Escape and the close button close it, and focus goes back to the button.
    button.onclick = function () {
      if (!frame.parentNode) {
        dialog.appendChild(frame);
        dialog.appendChild(guard(function () { return close; }));
      }
      dialog.showModal();
    };
    dialog.addEventListener('close', function () { button.focus(); });
    dialogs.push([frame, dialog]);
    // A campaign only partners' sites may embed: its explanation instead of the button (the
    // loader puts it in place of a frame, and this frame is not on the page yet). The same
    // address as the loader's check, so the browser's copy answers.
    fetch(frame.src.replace(/\/widgets\/([^/]+)\/[^?]*/, '/embed/$1/refusal')).then(function (r) {
      return r.ok && r.text(); // 204: allowed
    }).then(function (t) {
      if (t) {
        button.replaceWith(t);
        dialog.remove();
      }
    }, function () {});
  }

  // A key pressed inside a frame stays in the frame: the widget passes Escape on, and only our
  // own frames (their origin, their window) are heard.
  var dialogs = [];
  window.addEventListener('message', function (e) {
    dialogs.forEach(function (pair) {
      if (e.origin === origin && e.source === pair[0].contentWindow && e.data && e.data.mspDialog === 'close' && pair[1].open) {
        pair[1].close();
      }
    });
  });

  var queued = api.modal;
  api.modal = { push: show };
  queued.forEach(show);
})();
