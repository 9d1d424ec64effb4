/* The widget inside its iframe: send its form without a page load, report our height to the host page. */
(function () {
  'use strict';
  var host = document.body.getAttribute('data-host-origin');

  // Tell the host page, and only the host origin we were given, what it may know: that we are
  // here, our height when it changes, that a form was sent or a donation started (the loader
  // turns each into a DOM event for the ally's analytics). Our language only, never anything
  // the supporter entered.
  var lang = document.documentElement.lang;
  var framed = host && window.parent !== window;
  var tell = window.mspTell = function (type, extra) {
    if (framed) window.parent.postMessage(Object.assign({ mspWidget: true, type: type, lang: lang }, extra), host);
  };
  // A ResizeObserver alone is not enough: Chromium does not run it in off-screen cross-origin
  // frames, so a widget below the fold also reports at start-up, on load and on resize.
  if (framed) {
    var last = 0;
    var report = function () {
      var h = Math.ceil(document.documentElement.getBoundingClientRect().height);
      if (h !== last) {
        last = h;
        tell('resize', { height: h });
      }
    };
    if (window.ResizeObserver) new ResizeObserver(report).observe(document.documentElement);
    report();
    tell('ready');
    window.addEventListener('load', report);
    window.addEventListener('resize', report);
    // In the button layout's dialog (embed/modal.js), Escape closes the dialog wherever the
    // focus is: a key pressed in this frame never reaches the host page, so we pass it on.
    if (/[?&]layout=button(&|$)/.test(location.search)) {
      document.addEventListener('keydown', function (event) {
        if (event.key === 'Escape' && !event.defaultPrevented) window.parent.postMessage({ mspDialog: 'close' }, host);
      });
    }
  }

  // A partner key outside the rule (letters, digits, . _ ~ -, up to 64, starting with a letter
  // or digit) is credited made to follow it: tell the ally, in the console, what changes.
  var ref = new URLSearchParams(location.search).get('ref');
  try {
    if (framed && ref && !RegExp('^[\\p{L}\\p{N}][\\p{L}\\p{N}\\p{M}._~-]{0,63}$', 'u').test(ref)) {
      console.warn('MSP widget: data-partner "' + ref + '" is credited as a key of up to 64 letters, digits, . _ ~ -, starting with a letter or digit: other characters become -');
    }
  } catch (e) { /* no Unicode classes in this browser: no warning */ }

  // Sharing, where the browser can: a copy-link button (else the link is selected for copying by
  // hand) and the browser's own share sheet. Without JavaScript the plain links still work.
  var status = document.getElementById('copy-status');
  document.querySelectorAll('[data-copy]').forEach(function (button) {
    var field = document.getElementById(button.getAttribute('data-copy'));
    button.hidden = false;
    button.addEventListener('click', function () {
      var say = function (attr) { status.textContent = button.getAttribute(attr); };
      var byHand = function () {
        field.focus();
        field.select();
        var copied = false;
        try { copied = document.execCommand('copy'); } catch (e) { /* not allowed here */ }
        say(copied ? 'data-done' : 'data-manual');
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(field.value).then(function () { say('data-done'); }, byHand);
      } else byHand();
    });
  });
  var policy = document.featurePolicy;
  if (navigator.share && (!policy || policy.allowsFeature('web-share'))) {
    document.querySelectorAll('[data-share-url]').forEach(function (button) {
      button.hidden = false;
      button.addEventListener('click', function () {
        navigator.share({
          title: button.getAttribute('data-share-title'),
          text: button.getAttribute('data-share-text'),
          url: button.getAttribute('data-share-url')
        }).catch(function () {});
      });
    });
  }

  // The captcha, on any form that asks for one (petition, coordinator, notify, donate). Its script
  // loads only once the supporter starts filling the form in: readers who never act download
  // nothing from the captcha service. window.mspResetCaptcha lets a form that was sent in another
  // tab (donate) ask for a fresh one, since a solved captcha is good for one form only.
  var captchaForm = document.querySelector('form[data-captcha-script]'), captchaId = null;
  function loadCaptcha() {
    captchaForm.removeEventListener('focusin', loadCaptcha);
    var src = captchaForm.getAttribute('data-captcha-script'), s = document.createElement('script');
    window.mspCaptchaReady = function () {
      var box = document.getElementById('captcha'), look = document.documentElement.classList;
      // hCaptcha's own box in the page's palette: dark on the dark page (theme=dark, or auto on
      // a device set to dark), where its light box would glare.
      var dark = look.contains('theme-dark') ||
        (look.contains('theme-auto') && window.matchMedia('(prefers-color-scheme: dark)').matches);
      captchaId = window.hcaptcha.render(box, { sitekey: box.getAttribute('data-sitekey'), theme: dark ? 'dark' : 'light' });
    };
    s.src = src + (src.indexOf('?') < 0 ? '?' : '&') + 'render=explicit&onload=mspCaptchaReady&hl=' +
      document.documentElement.lang;
    s.async = true;
    document.head.appendChild(s);
  }
  if (captchaForm) {
    // On a slow phone the supporter may already be typing when this script runs, so the focus
    // that should have loaded the captcha came before any listener: load it now.
    if (captchaForm.contains(document.activeElement)) loadCaptcha();
    else captchaForm.addEventListener('focusin', loadCaptcha);
  }
  window.mspResetCaptcha = function () { if (captchaId !== null) window.hcaptcha.reset(captchaId); };

  // The form token. The page is the same for every visitor (so browsers and caches keep it) and
  // carries none: it is asked for when the supporter starts on the form, as the captcha is, and a
  // form sent before it came waits for it. Without it (no script, the request failed) the post
  // goes without one, and the service asks for it to be sent once more, with a token.
  var tokenField = document.querySelector('form input[name=form_token][data-token-url]');
  var tokenForm = tokenField && tokenField.form, tokenWaiting = null;
  function fetchToken() {
    if (tokenWaiting || !window.fetch) return;
    tokenWaiting = [];
    var done = function () {
      var waiting = tokenWaiting;
      tokenWaiting = null;
      waiting.forEach(function (go) { go(); });
    };
    fetch(tokenField.getAttribute('data-token-url'), { method: 'POST', cache: 'no-store' })
      .then(function (r) { return r.ok ? r.json() : {}; })
      .then(function (body) { if (body.form_token) tokenField.value = body.form_token; done(); }, done);
  }
  function withToken(go) { // run go() once the form has its token (or asking for one has failed)
    if (!tokenField || tokenField.value) return go();
    fetchToken();
    if (tokenWaiting) tokenWaiting.push(go);
    else go();
  }
  // A form sent in another tab (donate) used its token up: the next one needs a fresh token.
  window.mspFreshToken = function () {
    if (!tokenField) return;
    tokenField.value = '';
    fetchToken();
  };
  if (tokenForm) {
    if (tokenForm.contains(document.activeElement) && !tokenField.value) fetchToken();
    else tokenForm.addEventListener('focusin', function () { if (!tokenField.value) fetchToken(); });
    if (!tokenForm.hasAttribute('data-api')) {
      // A form the browser posts itself (donate): hold the post until the token is in it. Capture
      // runs before the form's other listeners, which then see the post sent with its token.
      // Held once: if no token came, the post goes without one (and is asked for again).
      var held = false;
      tokenForm.addEventListener('submit', function (event) {
        if (held || tokenField.value || !window.fetch || !tokenForm.requestSubmit) {
          held = false;
          return;
        }
        event.preventDefault();
        event.stopImmediatePropagation();
        held = true;
        withToken(function () { tokenForm.requestSubmit(); });
      }, true);
    }
  }

  // The count. A kept page (browsers and caches keep the page up to a minute) shows the count it
  // was made with; the count endpoint, kept for seconds, has the current one. After signing,
  // the server's new count (not one made up here).
  var countBox = document.querySelector('.count[data-count-url]');
  function showCount(fresh) {
    if (!countBox || !window.fetch) return;
    // After signing: asked again (and kept so), not taken from this browser's copy.
    fetch(countBox.getAttribute('data-count-url'), fresh ? { cache: 'no-cache' } : {})
      .then(function (r) { return r.json(); })
      .then(function (c) {
        var lang = document.documentElement.lang;
        var el = countBox.querySelector('[data-count]'), noun = countBox.querySelector('[data-one]');
        var bar = countBox.querySelector('progress');
        el.textContent = new Intl.NumberFormat(lang).format(c.signatures);
        noun.textContent = noun.getAttribute(new Intl.PluralRules(lang).select(c.signatures) === 'one' ? 'data-one' : 'data-other');
        if (bar) bar.value = Math.min(c.signatures, c.goal);
      }).catch(function () {});
  }
  showCount(false);

  var form = document.querySelector('form[data-api]'); // the petition, coordinator or notify-me form
  if (!form || !window.fetch) return; // no form, or an old browser: the plain post still works
  var alertBox = document.getElementById('alert');
  var button = form.querySelector('button');

  function showErrors(errors) {
    var first = null;
    form.querySelectorAll('.f').forEach(function (f) {
      var input = f.querySelector('input,select,textarea'), err = f.querySelector('.err'), hint = f.querySelector('.hint');
      if (!err) return;
      var msg = errors[input.name], ids = hint ? [hint.id] : [];
      f.classList.toggle('bad', !!msg);
      err.hidden = !msg;
      err.textContent = msg || '';
      if (msg) {
        input.setAttribute('aria-invalid', 'true');
        ids.push(err.id);
        first = first || input;
      } else {
        input.removeAttribute('aria-invalid');
      }
      if (ids.length) input.setAttribute('aria-describedby', ids.join(' '));
      else input.removeAttribute('aria-describedby');
    });
    return first;
  }

  function fail(message, focus) {
    alertBox.textContent = message;
    (focus || alertBox).focus();
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    button.disabled = true;
    withToken(send);
  });

  function send() {
    var data = {};
    new FormData(form).forEach(function (value, key) { data[key] = value; });
    form.querySelectorAll('input[type=checkbox]').forEach(function (box) { data[box.name] = box.checked; });
    alertBox.textContent = '';
    fetch(form.getAttribute('data-api'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(data)
    }).then(function (response) {
      return response.json().then(function (body) { return { status: response.status, body: body }; });
    }).then(function (result) {
      button.disabled = false;
      if (result.status === 202) return signed();
      if (result.status === 422) {
        return fail(form.getAttribute('data-msg-invalid'), showErrors(result.body.errors || {}));
      }
      if (result.status === 409) return fail(form.getAttribute('data-msg-closed'));
      if (result.status === 429) return fail(form.getAttribute('data-msg-limited'));
      if (result.body.form_token) form.elements.form_token.value = result.body.form_token;
      if (result.body.error === 'captcha_failed' && captchaId !== null) window.hcaptcha.reset(captchaId);
      fail(result.body.message || form.getAttribute('data-msg-failed'));
    }).catch(function () {
      button.disabled = false;
      fail(form.getAttribute('data-msg-failed'));
    });
  }

  function signed() {
    var thanks = document.getElementById('thanks');
    form.hidden = true;
    thanks.hidden = false;
    thanks.focus();
    tell('signed');
    // (No count where the page around the widget shows it: the campaign page.)
    showCount(true);
  }
})();
