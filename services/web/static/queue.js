// Live updates of the back office's ticket queue and agent ticket page (progressive
// enhancement: both pages work without it, by reloading). An element with
// data-live-source listens to that server-sent-events address (the portal relays the API's
// stream under the session); on each ticket event it fetches the page again and swaps in
// the parts named by data-live-regions (element ids), leaving alone a part the user is
// typing in. data-live-announce names a polite live region that says the page changed.
"use strict";

(function () {
  var EVENTS = [
    "TicketOpened", "TicketMessagePosted", "InternalNoteAdded", "TicketAssigned",
    "TicketStatusChanged", "TicketSuspended", "TicketResumed", "TicketResolved",
    "TicketClosed", "TicketDuplicated",
  ];
  var PAUSE = 250; // events come in bursts (a reply and a status change): one refresh

  function setUp(root) {
    var regions = (root.getAttribute("data-live-regions") || "").split(/\s+/).filter(Boolean);
    var announce = document.getElementById(root.getAttribute("data-live-announce") || "");
    var timer = null;
    var busy = false;
    var again = false;

    function known() {
      return new Set(Array.from(document.querySelectorAll("[data-ticket-id]"), function (row) {
        return row.getAttribute("data-ticket-id");
      }));
    }

    function swap(fresh) {
      var before = known();
      regions.forEach(function (id) {
        var current = document.getElementById(id);
        var next = fresh.getElementById(id);
        if (!current || !next) return;
        if (current.contains(document.activeElement) && current !== document.body) return;
        current.innerHTML = next.innerHTML;
      });
      document.querySelectorAll("[data-ticket-id]").forEach(function (row) {
        if (!before.has(row.getAttribute("data-ticket-id"))) row.classList.add("fresh");
      });
      if (announce) announce.textContent = announce.getAttribute("data-updated") || "";
    }

    function refresh() {
      if (busy) { again = true; return; }
      busy = true;
      fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) {
          if (!response.ok || response.redirected) return null; // signed out: leave the page be
          return response.text();
        })
        .then(function (html) {
          if (html) swap(new DOMParser().parseFromString(html, "text/html"));
        })
        .catch(function () { /* offline for a moment: the next event tries again */ })
        .then(function () {
          busy = false;
          if (again) { again = false; refresh(); }
        });
    }

    var source = new EventSource(root.getAttribute("data-live-source"));
    EVENTS.forEach(function (name) {
      source.addEventListener(name, function () {
        clearTimeout(timer);
        timer = setTimeout(refresh, PAUSE);
      });
    });
    var lost = false;
    root.setAttribute("data-live-state", "connecting");
    source.addEventListener("error", function () {
      lost = true;
      root.setAttribute("data-live-state", "reconnecting");
    });
    source.addEventListener("open", function () {
      root.setAttribute("data-live-state", "open");
      if (lost) refresh(); // what happened while the stream was down
      lost = false;
    });
    window.addEventListener("pagehide", function () { source.close(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.EventSource || !window.DOMParser) return;
    document.querySelectorAll("[data-live-source]").forEach(setUp);
  });
})();
