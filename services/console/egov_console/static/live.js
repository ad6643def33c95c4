// Keeps an open page current without a reload: asks /live whether the data the console follows
// changed (the console reads the public topics), and then fetches this page again and swaps its
// main content. Also refreshes once a minute, since deadlines pass with time alone.
(function () {
  "use strict";
  var main = document.getElementById("content");
  if (!main || !main.dataset.livePoll) { return; }
  var every = parseInt(main.dataset.livePoll, 10) || 2000;
  var seen = null;
  var busy = false;
  var last = Date.now();

  function refresh() {
    if (busy) { return; }
    busy = true;
    fetch(window.location.href, { credentials: "same-origin", headers: { "X-Console-Live": "1" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("content");
        var active = document.activeElement && document.activeElement.id;
        if (fresh) {
          main.innerHTML = fresh.innerHTML;
          main.dispatchEvent(new CustomEvent("console:refreshed"));
          if (active) {
            var again = document.getElementById(active);
            if (again) { again.focus(); }
          }
        }
        last = Date.now();
      })
      .catch(function () {})
      .then(function () { busy = false; });
  }

  function poll() {
    fetch("/live", { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body) { return; }
        if (seen !== null && body.version !== seen) { refresh(); }
        else if (Date.now() - last > 60000) { refresh(); }
        seen = body.version;
      })
      .catch(function () {});
  }

  poll();
  window.setInterval(poll, every);
})();
