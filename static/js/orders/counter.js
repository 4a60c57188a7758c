// The till works without this file. It keeps the scan field focused after each post (a barcode
// scanner types into whatever has focus), shows a print button on the receipt, and on the payment
// form shows only the amount boxes the chosen tender needs, with the cash part and the change
// worked out as the clerk types. The server checks the same figures again (split_tenders).
(function () {
  // Money in whole cents, parsed from the text typed: no float ever holds an amount.
  function cents(text) {
    var match = /^\s*(\d+)(?:[.,](\d{0,2}))?\s*$/.exec(text || "");
    if (!match) { return null; }
    return parseInt(match[1], 10) * 100 + parseInt(((match[2] || "") + "00").slice(0, 2), 10);
  }
  function yuan(value) {
    var sign = value < 0 ? "-" : "";
    value = Math.abs(value);
    return sign + "¥" + Math.floor(value / 100) + "." + ("0" + (value % 100)).slice(-2);
  }

  function payForm(form) {
    var card = form.querySelector('[data-tender-field="card"]');
    var cash = form.querySelector('[data-tender-field="cash"]');
    var preview = form.querySelector("[data-change-preview]");
    var total = cents(form.dataset.due) || 0;
    var wallet = cents(form.dataset.wallet) || 0;

    function update() {
      var chosen = form.querySelector('input[name="tender"]:checked');
      var tender = chosen ? chosen.value : "";
      var usesWallet = tender.indexOf("wallet") === 0;
      var split = tender === "split" || tender === "wallet_split";
      var due = usesWallet ? Math.max(total - wallet, 0) : total;
      var onCard = 0;
      if (split) {
        onCard = cents(form.elements.card_amount.value);
        onCard = onCard === null ? 0 : Math.min(onCard, due);
      } else if (tender === "card" || tender === "wallet_card") {
        onCard = due;
      }
      var cashPart = due - onCard;
      var needsCash = tender !== "wallet" && cashPart > 0;
      if (card) { card.hidden = !split; }
      if (cash) { cash.hidden = !needsCash && !(tender === "cash" || tender === "wallet_cash"); }
      if (!preview) { return; }
      var given = cents(form.elements.cash_given.value);
      var parts = [];
      if (usesWallet && wallet) { parts.push(preview.dataset.walletLabel + " " + yuan(Math.min(wallet, total))); }
      if (onCard) { parts.push(preview.dataset.cardLabel + " " + yuan(onCard)); }
      if (needsCash) {
        parts.push(preview.dataset.cashLabel + " " + yuan(cashPart));
        if (given !== null && given >= cashPart) { parts.push(preview.dataset.changeLabel + " " + yuan(given - cashPart)); }
      }
      preview.textContent = parts.join(" · ");
      preview.hidden = parts.length === 0;
    }

    form.addEventListener("change", update);
    form.addEventListener("input", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    // A refused payment is shown again: the box to correct gets the focus, not the scanner's field.
    var invalid = document.querySelector('.pay-form [aria-invalid="true"]');
    var scan = document.querySelector("[data-scan]");
    if (invalid) { invalid.focus(); } else if (scan) { scan.focus(); scan.select(); }
    var print = document.querySelector("[data-print]");
    if (print) {
      print.hidden = false;
      print.addEventListener("click", function () { window.print(); });
    }
    var form = document.querySelector("form.pay-form");
    if (form) { payForm(form); }
  });
})();
