// The import job page without this file reloads itself (a <noscript> refresh). With it, the progress bar
// polls the job's state every second and the page reloads once, when the job has finished.
document.addEventListener("DOMContentLoaded", function () {
  var box = document.querySelector("[data-import-progress]");
  if (!box || !window.fetch) { return; }
  var bar = box.querySelector("progress[max]");
  var rows = box.querySelector("[data-rows]");
  var template = rows ? rows.textContent : "";

  function poll() {
    fetch(box.dataset.importProgress, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (job) {
        if (!job) { window.setTimeout(poll, 3000); return; }
        if (!job.running) { window.location.reload(); return; }
        if (bar) { bar.value = job.percent; bar.textContent = job.percent + " %"; }
        if (rows && job.total) {
          // The text reads "<done> of <total> rows" in the page's language: swap the two numbers only.
          var numbers = 0;
          rows.textContent = template.replace(/\d+/g, function () { numbers += 1; return numbers === 1 ? job.processed : job.total; });
        }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1000);
});
