// The cart's steppers: a tap on − / + or a typed quantity is posted in the background and the cart
// (lines, line totals, totals, header badge) is swapped in from the page the post redirects to.
// Without JavaScript the buttons post the quantity shown with a step of one, as the form says.
(function () {
  "use strict";
  var main = document.querySelector("main");
  if (!main || !document.querySelector("[data-cart-line]")) return;
  document.documentElement.classList.add("js");

  // The quantity shown is the shopper's: a tap on − / + changes it at once, and the cart is told the new
  // quantity (not "one more"), so quick taps add up. One post at a time, in the order of the taps; while
  // taps are waiting, an answer is not swapped in (it would show an older quantity than the one tapped to).
  var sending = false;
  var waiting = [];

  function send(form) {
    if (sending) {
      if (waiting.indexOf(form) === -1) waiting.push(form);
      return;
    }
    sending = true;
    form.classList.add("is-sending");
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response); })
      .then(function (html) {
        sending = false;
        form.classList.remove("is-sending");
        if (waiting.length) return send(waiting.shift());
        var fresh = new DOMParser().parseFromString(html, "text/html");
        ["main", ".site-header .cart-link", ".tab-bar .tab-cart", ".messages"].forEach(function (selector) {
          var old = document.querySelector(selector), part = fresh.querySelector(selector);
          if (old && part) old.replaceWith(part);
          else if (old && !part && selector === ".messages") old.remove();
          else if (!old && part && selector === ".messages") document.querySelector("main").before(part);
        });
      })
      .catch(function () { form.submit(); }); // the page's own post, with the quantity shown
  }

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("[data-cart-line]");
    if (!form) return;
    event.preventDefault();
    var step = event.submitter && event.submitter.name === "step" ? parseInt(event.submitter.value, 10) : 0;
    var field = form.elements.namedItem("quantity");
    if (step && field) {
      var shown = parseInt(field.value, 10);
      field.value = String(Math.min(Math.max((isNaN(shown) ? 0 : shown) + step, 0), 99));
    }
    send(form);
  });
  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("[data-cart-line]");
    if (form && event.target.name === "quantity") send(form);
  });
})();
