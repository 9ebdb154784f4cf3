// Registers the service worker (static/sw.js, served at /sw.js for the whole site): it keeps
// the static files for speed and shows a page of its own when the portal cannot be reached.
"use strict";

if ("serviceWorker" in navigator) {
  window.addEventListener("load", function () {
    navigator.serviceWorker.register("/sw.js").catch(function () { /* the site works without */ });
  });
}
