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
    // Buttons that ask before acting (blocking a user, erasure): a confirm dialog with script,
    // a plain submit without.
    document.querySelectorAll("[data-confirm]").forEach(function (button) {
      button.addEventListener("click", function (event) {
        if (!window.confirm(button.getAttribute("data-confirm"))) event.preventDefault();
      });
    });
  });
})();
