/* Live turnout on an open round's page (rounds_show.html).
 *
 * Every few seconds, asks /dashboard/<slug>/rounds/<n>/turnout for {ballots, members, percent,
 * tallies, status} and puts the numbers into the elements marked data-live="...". The page is
 * complete without this script: the server renders the same figures, and a reload updates them.
 * When the round is no longer open, or the organiser is signed out, it stops and says so. */
(function () {
  "use strict";

  var box = document.querySelector("[data-turnout-url]");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-turnout-url");
  var every = Number(box.getAttribute("data-every")) || 5000;
  var failures = 0;

  function set(name, value) {
    var found = document.querySelectorAll('[data-live="' + name + '"]');
    Array.prototype.forEach.call(found, function (el) {
      if (el.textContent !== String(value)) { el.textContent = String(value); }
    });
  }

  function show(data) {
    set("ballots", data.ballots);
    set("members", data.members);
    set("percent", data.percent);
    Object.keys(data.tallies || {}).forEach(function (number) {
      set("votes-" + number, data.tallies[number]);
    });
  }

  function tick() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}, cache: "no-store"})
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok || type.indexOf("application/json") !== 0) {
          throw new Error("not the turnout (signed out?)");
        }
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        show(data);
        if (data.status !== "open") {
          set("note", "This round is now " + data.status + ": reload the page to see it.");
          return;
        }
        set("note", "Live: updated " + new Date().toLocaleTimeString() + ".");
        window.setTimeout(tick, every);
      })
      .catch(function () {
        failures += 1;
        if (failures >= 5) {
          set("note", "Live figures stopped (are you still signed in?): reload the page.");
          return;
        }
        window.setTimeout(tick, every * (failures + 1));
      });
  }

  window.setTimeout(tick, every);
}());
