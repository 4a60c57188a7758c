// Province → city → district picker: refills the address form's selects from the vendored division data,
// so no round trip is needed. Without this script the form's "show cities and districts" button does it.
(function () {
  "use strict";
  var form = document.querySelector("form[data-divisions]");
  if (!form) { return; }
  var selects = {};
  ["province", "city", "district"].forEach(function (name) {
    selects[name] = form.querySelector('select[data-division="' + name + '"]');
  });
  if (!selects.province || !selects.city || !selects.district) { return; }
  var blankLabel = selects.province.options.length ? selects.province.options[0].textContent : "";

  function fill(select, names, keep) {
    select.textContent = "";
    var blank = document.createElement("option");
    blank.value = "";
    blank.textContent = blankLabel;
    select.appendChild(blank);
    names.forEach(function (name) {
      var option = document.createElement("option");
      option.value = name;
      option.textContent = name;
      if (name === keep) { option.selected = true; }
      select.appendChild(option);
    });
  }

  fetch(form.getAttribute("data-divisions")).then(function (response) { return response.json(); }).then(function (raw) {
    // The same renaming as members/divisions.py: a municipality's "市辖区" is written as the municipality.
    var data = {};
    Object.keys(raw).forEach(function (province) {
      data[province] = {};
      Object.keys(raw[province]).forEach(function (city) {
        data[province][city === "市辖区" ? province : city] = raw[province][city];
      });
    });
    var refresh = form.querySelector(".division-refresh");
    if (refresh) { refresh.hidden = true; }
    selects.province.addEventListener("change", function () {
      var cities = Object.keys(data[selects.province.value] || {});
      fill(selects.city, cities, cities.length === 1 ? cities[0] : "");
      selects.city.dispatchEvent(new Event("change"));
    });
    selects.city.addEventListener("change", function () {
      fill(selects.district, (data[selects.province.value] || {})[selects.city.value] || [], "");
    });
  });
}());
