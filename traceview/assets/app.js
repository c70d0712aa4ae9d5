// polytrace trace viewer: refreshes the page's content while "live" is
// checked, replacing it with the server's newer rendering. The server
// escapes every value it renders, and nothing here turns text into markup
// of its own.
"use strict";
(function () {
  var live = document.getElementById("live");
  if (!live) return;
  var key = "polytrace.live";
  if (window.localStorage && localStorage.getItem(key) === "off") live.checked = false;
  live.addEventListener("change", function () {
    if (window.localStorage) localStorage.setItem(key, live.checked ? "on" : "off");
  });
  var busy = false;
  setInterval(function () {
    if (!live.checked || busy || document.hidden) return;
    var focus = document.activeElement;
    if (focus && focus.form) return; // the user is filling in the search form

    busy = true;
    fetch(window.location.href, { headers: { "Accept": "text/html" }, cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (text) {
        if (!text) return;
        var next = new DOMParser().parseFromString(text, "text/html").getElementById("main");
        var cur = document.getElementById("main");
        if (next && cur && next.dataset.version !== cur.dataset.version) cur.replaceWith(next);
      })
      .catch(function () {})
      .finally(function () { busy = false; });
  }, 2000);
})();
