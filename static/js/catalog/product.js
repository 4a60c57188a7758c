// Choosing a variant without a reload: the option links are real links (?sku=…#buy), so without
// JavaScript they load the variant's page at its buy box; with it the product block is fetched and
// swapped in place, and the address bar follows, so the page neither reloads nor jumps.
(function () {
  "use strict";
  var PARTS = [".product .buy-box", ".product .gallery"];

  function swap(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    PARTS.forEach(function (selector) {
      var old = document.querySelector(selector);
      var part = fresh.querySelector(selector);
      if (old && part) old.replaceWith(part);
    });
  }

  // Only the last tap counts: an earlier tap's answer that comes later (another worker, a colder page) would
  // show the variant the shopper tapped away from, and the buy box would then add that one to the cart.
  var pending = null;

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-variant-link]");
    if (!link || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    var url = link.href.split("#")[0];
    var top = window.scrollY;
    if (pending) pending.abort();
    var mine = pending = new AbortController();
    fetch(url, { credentials: "same-origin", signal: mine.signal })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response); })
      .then(function (html) {
        if (mine !== pending) return;
        pending = null;
        swap(html);
        history.replaceState(null, "", url);
        window.scrollTo(0, top);
      })
      .catch(function () {
        if (mine === pending) window.location.href = link.href; // not when a later tap replaced this one
      });
  });
})();
