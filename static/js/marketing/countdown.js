// Ticks every <time data-countdown datetime="..."> once a second; the server already rendered the time left,
// so without JavaScript the page still says it. At zero the page is reloaded once to show the new state.
(function () {
  "use strict";
  var clocks = document.querySelectorAll("time[data-countdown]");
  if (!clocks.length) { return; }
  var pad = function (n) { return (n < 10 ? "0" : "") + n; };
  var reloaded = false;
  function tick() {
    var now = Date.now();
    clocks.forEach(function (el) {
      var left = Math.max(0, Math.floor((Date.parse(el.getAttribute("datetime")) - now) / 1000));
      var days = Math.floor(left / 86400), rest = left % 86400;
      var text = pad(Math.floor(rest / 3600)) + ":" + pad(Math.floor((rest % 3600) / 60)) + ":" + pad(rest % 60);
      el.textContent = days ? days + "d " + text : text;
      if (left === 0 && !reloaded && el.hasAttribute("data-reload")) { reloaded = true; window.location.reload(); }
    });
  }
  tick();
  window.setInterval(tick, 1000);
})();
