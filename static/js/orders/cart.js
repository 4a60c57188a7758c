// The cart's steppers: a tap on − / + or a typed quantity is posted in the background and the cart
// (lines, line totals, totals, header badge) is swapped in from the page the post redirects to.
(function () {
  "use strict";
  var main = document.querySelector("main");
  if (!main || !document.querySelector("[data-cart-line]")) return;
  document.documentElement.classList.add("js");

  function send(form, submitter) {
    var body = new FormData(form);
    if (submitter && submitter.name) body.append(submitter.name, submitter.value);
    form.classList.add("is-sending");
    fetch(form.action, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        ["main", ".site-header .cart-link", ".tab-bar .tab-cart", ".messages"].forEach(function (selector) {
          var old = document.querySelector(selector), part = fresh.querySelector(selector);
          if (old && part) old.replaceWith(part);
          else if (old && !part && selector === ".messages") old.remove();
          else if (!old && part && selector === ".messages") document.querySelector("main").before(part);
        });
      })
      .catch(function () { form.submit(); });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("[data-cart-line]");
    if (!form) return;
    event.preventDefault();
    send(form, event.submitter);
  });
  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("[data-cart-line]");
    if (form && event.target.name === "quantity") send(form, null);
  });
})();
