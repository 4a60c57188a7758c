// The category page's rail: mark the top category whose pane shows, and show it without jumping the page.
(function () {
  "use strict";
  var browser = document.querySelector("[data-category-browser]");
  if (!browser) return;
  var links = browser.querySelectorAll(".category-rail a");
  var panes = browser.querySelectorAll(".category-pane");
  function show(hash) {
    var found = false;
    panes.forEach(function (pane) {
      var on = "#" + pane.id === hash;
      found = found || on;
      pane.hidden = !on;
    });
    if (!found && panes.length) { panes[0].hidden = false; hash = "#" + panes[0].id; }
    links.forEach(function (link) { link.classList.toggle("active", link.getAttribute("href") === hash); });
  }
  browser.classList.add("is-enhanced");
  links.forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      history.replaceState(null, "", link.getAttribute("href"));
      show(link.getAttribute("href"));
    });
  });
  show(window.location.hash);
})();
