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

  // The listeners are there from the start: a shopper who picks a province before the data has arrived
  // gets its cities as soon as it does, instead of a city list that stays empty.
  var data = null;
  function showCities(keepCity, keepDistrict) {
    if (!data) { return; }
    var cities = Object.keys(data[selects.province.value] || {});
    var keep = cities.indexOf(keepCity) >= 0 ? keepCity : (cities.length === 1 ? cities[0] : "");
    fill(selects.city, cities, keep);
    showDistricts(keepDistrict);
  }
  function showDistricts(keep) {
    if (!data) { return; }
    fill(selects.district, (data[selects.province.value] || {})[selects.city.value] || [], keep);
  }
  selects.province.addEventListener("change", function () { showCities("", ""); });
  selects.city.addEventListener("change", function () { showDistricts(""); });

  fetch(form.getAttribute("data-divisions")).then(function (response) { return response.json(); }).then(function (raw) {
    // The same renaming as members/divisions.py: a municipality's "市辖区" is written as the municipality.
    var loaded = {};
    Object.keys(raw).forEach(function (province) {
      loaded[province] = {};
      Object.keys(raw[province]).forEach(function (city) {
        loaded[province][city === "市辖区" ? province : city] = raw[province][city];
      });
    });
    data = loaded;
    var refresh = form.querySelector(".division-refresh");
    if (refresh) { refresh.hidden = true; }
    // Whatever was chosen meanwhile (or drawn by the server) is kept where the data knows it.
    if (selects.province.value) { showCities(selects.city.value, selects.district.value); }
  });
}());
