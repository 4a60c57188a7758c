// Checkout that behaves like an app: every change of an option re-prices the page in the background
// (the same POST as the "Update total" button, so the server stays the only one that prices), and
// the parts that depend on the choice are swapped in. Without JavaScript the button does the same.
(function () {
  "use strict";
  var form = document.querySelector("form[data-live-checkout]");
  if (!form) return;
  document.documentElement.classList.add("js");
  var pending = null;
  var typed = ["contact_name", "contact_phone", "note", "coupon_code"];

  function caret(field) {
    try {
      return [field.selectionStart, field.selectionEnd, field.selectionDirection];
    } catch (error) {
      return null; // a field type without a text selection
    }
  }

  function swap(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    var focused = document.activeElement;
    var where = focused && typed.indexOf(focused.name) !== -1 ? caret(focused) : null;
    // The answer was rendered from what was posted; whatever the shopper typed since (a name, a phone)
    // is newer than that. So the fields being typed in are not redrawn: the very same elements move into
    // the fresh part, keeping their value, and the one in use gets its focus and caret back.
    typed.forEach(function (name) {
      var now = form.elements.namedItem(name);
      var then = fresh.querySelector('[data-live] [name="' + name + '"]');
      if (!now || !then || now.tagName !== then.tagName) return;
      ["aria-invalid", "aria-describedby"].forEach(function (attribute) { // the answer's verdict on the field
        if (then.hasAttribute(attribute)) now.setAttribute(attribute, then.getAttribute(attribute));
        else now.removeAttribute(attribute);
      });
      then.replaceWith(now);
    });
    form.querySelectorAll("[data-live]").forEach(function (old) {
      var part = fresh.querySelector('[data-live="' + old.dataset.live + '"]');
      if (part) old.replaceWith(part);
    });
    if (where && focused.isConnected && document.activeElement !== focused) {
      focused.focus();
      if (where[0] !== null) focused.setSelectionRange(where[0], where[1], where[2]);
    }
  }

  function reprice() {
    if (pending) pending.abort();
    var mine = pending = new AbortController();
    var body = new FormData(form);
    body.append("update", "1");
    form.classList.add("is-pricing");
    fetch(form.action || window.location.href, {
      method: "POST", body: body, signal: mine.signal, credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response); })
      .then(function (html) { if (mine === pending) swap(html); })
      .catch(function () { /* the next change or the submit button re-prices on the server anyway */ })
      .finally(function () {
        // An aborted re-pricing ends too; the page is still being priced while a newer one is under way.
        if (mine !== pending) return;
        pending = null;
        form.classList.remove("is-pricing");
      });
  }

  form.addEventListener("change", function (event) {
    if (typed.indexOf(event.target.name) === -1) reprice();
  });
})();
