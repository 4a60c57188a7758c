// 收藏 without a reload: the button is a real form (posting it comes back to the page without
// JavaScript); here it is posted in the background and the answered button (filled heart or not)
// replaces it. Delegated from the document, because choosing a variant swaps the buy box in.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-favourite]")) return;
    event.preventDefault();
    var button = form.querySelector("button");
    if (button) button.disabled = true;
    fetch(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("form[data-favourite]");
        // Anything else (a log-in page after the session ran out) is shown as the page it is.
        if (!fresh) { window.location.reload(); return; }
        form.replaceWith(fresh);
        var again = fresh.querySelector("button");
        if (again) again.focus();
      })
      .catch(function () { form.submit(); });
  });
})();
