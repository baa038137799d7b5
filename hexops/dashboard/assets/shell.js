/*
 * The shell's clientside functions (kept in a file, not inline, so the Content Security Policy
 * needs no allowance for them): the router hands the page title here after each navigation, and
 * the language buttons' return address follows the page shown (without its ?lang=).
 */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  hexops_shell: {
    setTitle: function (data) {
      if (data && typeof data.title === "string") { document.title = data.title; }
      return window.dash_clientside.no_update;
    },
    languageNext: function (pathname, search) {
      var params = new URLSearchParams(search || "");
      params.delete("lang");
      var query = params.toString();
      return (pathname || "/") + (query ? "?" + query : "");
    }
  }
});
