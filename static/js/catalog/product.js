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

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-variant-link]");
    if (!link || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    var url = link.href.split("#")[0];
    var top = window.scrollY;
    fetch(url, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response); })
      .then(function (html) {
        swap(html);
        history.replaceState(null, "", url);
        window.scrollTo(0, top);
      })
      .catch(function () { window.location.href = link.href; });
  });
})();
