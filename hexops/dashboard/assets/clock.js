// The header clock (#shell-clock): the product's time, ticking in the browser.
// The server renders it with data-now-ms (scenario or wall time, ms) and data-speed; this script
// advances it every second from the moment the page was built, and re-reads /api/v1/clock every
// 15 s so a replay started, paused or moved elsewhere shows at once.  No Dash callback is involved.
(function () {
  "use strict";
  var anchor = null;  // {now: ms of product time, at: performance.now() when read, speed, stop}

  function read(el) {
    var now = Number(el.dataset.nowMs);
    if (!now) { return null; }
    return {now: now, at: performance.now(), speed: Number(el.dataset.speed || 1),
            stop: el.dataset.stopMs ? Number(el.dataset.stopMs) : null, tz: el.dataset.tz || "UTC"};
  }

  function format(ms, tz) {
    var parts = new Intl.DateTimeFormat("en-GB", {
      timeZone: tz, weekday: "short", day: "2-digit", month: "short", year: "numeric",
      hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23"
    }).formatToParts(new Date(ms));
    var p = {};
    parts.forEach(function (x) { p[x.type] = x.value; });
    return p.weekday + " " + p.day + " " + p.month + " " + p.year + " " + p.hour + ":" + p.minute + ":" + p.second;
  }

  function tick() {
    var el = document.getElementById("shell-clock");
    var time = document.getElementById("shell-clock-time");
    if (!el || !time) { anchor = null; return; }
    if (!anchor || anchor.el !== el) { anchor = read(el); if (anchor) { anchor.el = el; } }
    if (!anchor) { return; }
    var now = anchor.now + (performance.now() - anchor.at) * anchor.speed;
    if (anchor.stop !== null && now > anchor.stop) { now = anchor.stop; }
    time.textContent = format(now, anchor.tz);
    el.dataset.shownMs = String(Math.round(now));
  }

  function refresh() {
    var el = document.getElementById("shell-clock");
    if (!el || !el.dataset.nowMs || !window.fetch) { return; }
    fetch("/api/v1/clock", {credentials: "same-origin", cache: "no-store"}).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (c) {
      if (!c) { return; }
      anchor = {el: el, now: c.now_ms, at: performance.now(), speed: c.speed, stop: c.stop_ms,
                tz: el.dataset.tz || c.time_zone};
      var label = document.getElementById("shell-clock-label");
      if (label && label.textContent !== c.label) { label.textContent = c.label; }
      tick();
    }).catch(function () { /* offline for a moment: keep ticking */ });
  }

  setInterval(tick, 1000);
  setInterval(refresh, 15000);
})();
