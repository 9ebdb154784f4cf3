// The portal's service worker. Keeps only what is the same for everyone: the static files and
// the offline page. Never a page someone is signed in to, never an answer of the API: those
// carry personal data and always come from the network.
"use strict";

var CACHE = "guichet-static-v1";
var OFFLINE = "/static/offline.html";
var PRECACHE = [
  OFFLINE,
  "/static/app.css",
  "/static/app.js",
  "/static/pwa.js",
  "/static/icons/icon-192.png",
];

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) { return cache.addAll(PRECACHE); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) { return name !== CACHE; })
        .map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return; // forms and the API: straight to the network
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    // Pages: always the network (never cached); the offline page when it cannot answer.
    event.respondWith(fetch(request).catch(function () { return caches.match(OFFLINE); }));
    return;
  }
  if (url.pathname.startsWith("/static/")) {
    // Static files: from the cache at once, refreshed from the network for next time.
    event.respondWith(caches.open(CACHE).then(function (cache) {
      return cache.match(request).then(function (cached) {
        var fetched = fetch(request).then(function (response) {
          if (response.ok) cache.put(request, response.clone());
          return response;
        });
        if (!cached) return fetched;
        fetched.catch(function () { /* offline: the cached copy serves */ });
        return cached;
      });
    }));
  }
});
