/*
 * No failure goes unseen: when the server refuses (4xx) or fails (5xx) a request a page makes
 * (a callback, an API read), the banner #shell-error says so in the page's language, with the
 * server's own sentence ({"error": ...}) or the reference of a logged failure. A refusal naming
 * a field that has an error line beside it (<field>-error) is shown there too.
 * Kept in a file, not inline, so the Content Security Policy needs no allowance for it.
 */
(function () {
  "use strict";
  var original = window.fetch;
  if (!original) { return; }

  function show(prefixKey, detail, field) {
    var banner = document.getElementById("shell-error");
    var text = document.getElementById("shell-error-text");
    if (!banner || !text) { return; }
    var prefix = banner.getAttribute(prefixKey) || "";
    text.textContent = prefix + (detail ? " " + detail : "");
    banner.hidden = false;
    if (field) {
      var line = document.getElementById(String(field).split(".")[0] + "-error");
      if (line && !line.textContent) { line.textContent = detail; }
    }
  }

  function hide() {
    var banner = document.getElementById("shell-error");
    if (banner) { banner.hidden = true; }
  }

  document.addEventListener("click", function (event) {
    if (event.target && event.target.id === "shell-error-close") { hide(); }
  });

  window.fetch = function (input, init) {
    var url = typeof input === "string" ? input : (input && input.url) || "";
    var watched = url.indexOf("/_dash-update-component") !== -1 || url.indexOf("/api/") !== -1;
    return original.apply(this, arguments).then(function (response) {
      if (watched && response.status >= 400 && response.status !== 401) {
        // 401 is a signed-out session: the next page load sends the person to sign in.
        response.clone().json().then(function (body) {
          var message = body && typeof body.error === "string" ? body.error : "";
          show(response.status >= 500 ? "data-failed" : "data-refused", message, body && body.field);
        }, function () {
          show(response.status >= 500 ? "data-failed" : "data-refused", String(response.status), null);
        });
      }
      return response;
    }, function (error) {
      if (watched) { show("data-offline", "", null); }
      throw error;
    });
  };
})();
