// The till works without this file. It only keeps the scan field focused after each post (a barcode
// scanner types into whatever has focus) and shows a print button on the receipt.
document.addEventListener("DOMContentLoaded", function () {
  var scan = document.querySelector("[data-scan]");
  if (scan) { scan.focus(); scan.select(); }
  var print = document.querySelector("[data-print]");
  if (print) {
    print.hidden = false;
    print.addEventListener("click", function () { window.print(); });
  }
});
