/* The widget inside its iframe: send its form without a page load, report our height to the host page. */
(function () {
  'use strict';
  var host = document.body.getAttribute('data-host-origin');

  // Tell the host page our height when it changes, and only the host origin we were given.
  // A ResizeObserver alone is not enough: Chromium does not run it in off-screen cross-origin
  // frames, so a widget below the fold also reports at start-up, on load and on resize.
  if (host && window.parent !== window) {
    var last = 0;
    var report = function () {
      var h = Math.ceil(document.documentElement.getBoundingClientRect().height);
      if (h !== last) {
        last = h;
        window.parent.postMessage({ mspWidget: true, type: 'resize', height: h }, host);
      }
    };
    if (window.ResizeObserver) new ResizeObserver(report).observe(document.documentElement);
    report();
    window.addEventListener('load', report);
    window.addEventListener('resize', report);
  }

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
      var box = document.getElementById('captcha');
      captchaId = window.hcaptcha.render(box, { sitekey: box.getAttribute('data-sitekey') });
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
    var data = {};
    new FormData(form).forEach(function (value, key) { data[key] = value; });
    form.querySelectorAll('input[type=checkbox]').forEach(function (box) { data[box.name] = box.checked; });
    button.disabled = true;
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
  });

  function signed() {
    var thanks = document.getElementById('thanks'), countUrl = form.getAttribute('data-count-url');
    form.hidden = true;
    thanks.hidden = false;
    thanks.focus();
    // No count to update where the page around the widget shows it (the campaign page).
    if (!countUrl || !document.querySelector('[data-count]')) return;
    // Show the server's count, not one we made up.
    fetch(countUrl, { cache: 'no-store' })
      .then(function (r) { return r.json(); })
      .then(function (c) {
        var lang = document.documentElement.lang;
        var el = document.querySelector('[data-count]'), noun = document.querySelector('[data-one]');
        var bar = document.querySelector('progress');
        el.textContent = new Intl.NumberFormat(lang).format(c.signatures);
        noun.textContent = noun.getAttribute(new Intl.PluralRules(lang).select(c.signatures) === 'one' ? 'data-one' : 'data-other');
        if (bar) bar.value = Math.min(c.signatures, c.goal);
      }).catch(function () {});
  }
})();
