// Progressive enhancement only: every form works without this file.
// The password checklist (seed 000): each rule is ticked as the user types, from the rule's
// pattern or length; the rules only the server can check (common or personal passwords) are
// asked to the public API after a pause in typing.
"use strict";

(function () {
  function normalise(value) {
    return value.normalize ? value.normalize("NFKC") : value;
  }

  function localCheck(item, password) {
    var pattern = item.getAttribute("data-pattern");
    var min = item.getAttribute("data-min-length");
    var max = item.getAttribute("data-max-length");
    var length = Array.from(password).length;
    if (pattern !== null) return new RegExp(pattern).test(password);
    if (min !== null) return length >= Number(min);
    if (max !== null) return length <= Number(max);
    return null; // server-only rule
  }

  function mark(item, met, words) {
    item.classList.toggle("met", met === true);
    item.classList.toggle("broken", met === false);
    var state = item.querySelector(".state");
    if (state) state.textContent = met === true ? words.met : met === false ? words.broken : "";
  }

  function setUp(input) {
    var list = document.querySelector("[data-password-checklist]");
    if (!list) return;
    var items = Array.from(list.querySelectorAll("li[data-rule]"));
    var words = {
      met: list.getAttribute("data-met") || "✓",
      broken: list.getAttribute("data-broken") || "✗",
    };
    var timer = null;
    var asked = 0;

    function serverCheck(password) {
      var ticket = ++asked;
      fetch("/api/auth/password-policy/check", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ password: password }),
        credentials: "omit",
      })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (answer) {
          if (!answer || ticket !== asked) return;
          var broken = new Set(answer.violations.map(function (v) { return v.rule; }));
          items.forEach(function (item) {
            mark(item, !broken.has(item.getAttribute("data-rule")), words);
          });
        })
        .catch(function () { /* the server checks again on submit */ });
    }

    input.addEventListener("input", function () {
      var password = normalise(input.value);
      items.forEach(function (item) {
        var met = password ? localCheck(item, password) : null;
        if (met !== null || !password) mark(item, met, words);
      });
      clearTimeout(timer);
      if (password) timer = setTimeout(function () { serverCheck(input.value); }, 400);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-password-input]").forEach(setUp);
    // Buttons that ask before acting (blocking a user, erasure, closing a ticket): a confirm
    // dialog with script, a plain submit without. Delegated, so buttons a live update
    // brings ask too.
    document.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest("[data-confirm]") : null;
      if (button && !window.confirm(button.getAttribute("data-confirm"))) event.preventDefault();
    });
    var live = document.querySelector("[data-live]");
    if (live && window.EventSource) listen(live.getAttribute("data-live"), live);
  });

  // Live updates (tickets). The portal's event stream (the session's cookie authenticates
  // it; the page never holds a token) only says that something changed: the page is
  // fetched again, rendered by the server in the reader's language, and each region marked
  // data-live-region is swapped for its new version — except a form being typed in.
  var EVENTS = [
    "TicketOpened", "TicketMessagePosted", "TicketAssigned", "TicketStatusChanged",
    "TicketSuspended", "TicketResumed", "TicketResolved", "TicketClosed", "TicketDuplicated",
    "InternalNoteAdded", // on the staff's stream only
  ];

  function typing(region) {
    return Array.from(region.querySelectorAll("textarea, input[type=file]")).some(function (field) {
      return field.value !== "";
    });
  }

  function refresh() {
    var here = window.location.href;
    fetch(here, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        // Redirected (the session ended): leave the page as it is; the next click signs in.
        return response.ok && response.url === here ? response.text() : null;
      })
      .then(function (text) {
        if (text === null) return;
        var fresh = new DOMParser().parseFromString(text, "text/html");
        document.querySelectorAll("[data-live-region]").forEach(function (region) {
          var name = region.getAttribute("data-live-region");
          var update = fresh.querySelector('[data-live-region="' + name + '"]');
          if (!update || (region.hasAttribute("data-live-keep-if-typing") && typing(region))) return;
          region.replaceWith(document.importNode(update, true));
        });
      })
      .catch(function () { /* the next event tries again */ });
  }

  function listen(url, element, missed) {
    var source = new EventSource(url);
    // For whoever waits on the stream (the browser tests): connecting, open, lost.
    element.setAttribute("data-live-state", "connecting");
    var timer = null;
    var lost = missed === true;
    function soon() {
      clearTimeout(timer);
      timer = setTimeout(refresh, 150); // a burst of events, one fetch
    }
    EVENTS.forEach(function (name) { source.addEventListener(name, soon); });
    source.addEventListener("open", function () {
      element.setAttribute("data-live-state", "open");
      if (lost) soon(); // events missed while reconnecting: catch up
      lost = false;
    });
    source.addEventListener("error", function () {
      lost = true;
      element.setAttribute("data-live-state", "lost");
      // The browser reconnects by itself after a network error, but gives up on an answer
      // that is not a stream (the API briefly unavailable): then try again a little later.
      if (source.readyState === EventSource.CLOSED) {
        setTimeout(function () { listen(url, element, true); }, 10000);
      }
    });
  }
})();
