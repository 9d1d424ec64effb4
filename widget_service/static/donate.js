/* The donate form: keep the amount choice consistent, check a typed amount before it opens a tab. */
(function () {
  'use strict';
  var form = document.getElementById('donate');
  if (!form) return;
  var other = document.getElementById('a-other');
  var custom = document.getElementById('f-custom_amount');
  var alertBox = document.getElementById('alert');
  var error = document.getElementById('e-custom_amount');
  var field = custom.parentNode;

  // A form that came back with a message: focus the first field to correct, else the message.
  if (alertBox.textContent.trim()) (form.querySelector('[aria-invalid=true]') || alertBox).focus();

  // Typing an amount chooses "Other", as the service reads a typed amount; so does one typed
  // before this script arrived (a slow phone). Choosing a preset clears what was typed.
  function typedChoosesOther() { if (custom.value.trim()) other.checked = true; }
  typedChoosesOther();
  custom.addEventListener('input', typedChoosesOther);
  form.querySelectorAll('input[name=amount]').forEach(function (radio) {
    radio.addEventListener('change', function () {
      if (radio !== other) custom.value = '';
      else custom.focus();
    });
  });

  // The same reading of an amount as the service's (Urdu digits; a comma only groups thousands,
  // so "25,50" is refused, never read as 2,550).
  function minorUnits(text) {
    var s = text.replace(/[۰-۹]/g, function (d) { return String(d.charCodeAt(0) - 0x6f0); })
      .replace(/[٠-٩]/g, function (d) { return String(d.charCodeAt(0) - 0x660); })
      .replace(/٫/g, '.').trim().replace(/[\s,٬'’]+/g, ',');
    if (!/^(\d{1,12}|\d{1,3}(,\d{2,3})*,\d{3})(\.\d{1,2})?$/.test(s)) return null;
    s = s.replace(/,/g, '');
    var parts = s.split('.'), exp = +form.getAttribute('data-exponent');
    var frac = ((parts[1] || '') + '0000').slice(0, exp);
    return parseInt(parts[0], 10) * Math.pow(10, exp) + (parseInt(frac, 10) || 0);
  }

  function show(message) {
    field.classList.toggle('bad', !!message);
    error.hidden = !message;
    error.textContent = message || '';
    if (message) {
      custom.setAttribute('aria-invalid', 'true');
      custom.setAttribute('aria-describedby', error.id);
    } else {
      custom.removeAttribute('aria-invalid');
      custom.removeAttribute('aria-describedby');
    }
  }

  var sentAt = 0;
  form.addEventListener('submit', function (event) {
    if (other.checked || (custom.value && !form.querySelector('input[name=amount]:checked'))) {
      var amount = minorUnits(custom.value);
      if (amount === null || amount < +form.getAttribute('data-min') || amount > +form.getAttribute('data-max')) {
        event.preventDefault();
        show(form.getAttribute('data-msg-amount'));
        alertBox.textContent = form.getAttribute('data-msg-invalid');
        custom.focus();
        return;
      }
    }
    show('');
    // One click, one tab: a double click would send the same form twice, the second a replay.
    // (The button is not disabled: Chromium may then drop the submission that is under way.)
    if (Date.now() - sentAt < 800) { event.preventDefault(); return; }
    sentAt = Date.now();
    // The host page may count it (the loader's msp:donate-started): nothing of the form goes.
    if (window.mspTell) window.mspTell('donate-started');
    if (form.target !== '_blank') return;
    // The donation goes on in the new tab. This form's token is spent with it; a fresh one
    // (widget.js) lets the donor give again from here (after a cancel).
    alertBox.textContent = form.getAttribute('data-msg-started');
    alertBox.classList.add('ok');
    setTimeout(function () {
      if (window.mspResetCaptcha) window.mspResetCaptcha(); // the new tab used this one up
      if (window.mspFreshToken) window.mspFreshToken();
    }, 500);
  });
})();
