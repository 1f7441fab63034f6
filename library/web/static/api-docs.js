// Starts Swagger UI on /schema; kept in a file so the Content-Security-Policy needs no inline script.
// Requests made from the page with the session cookie echo the CSRF cookie, as the API asks.
(function () {
  var container = document.getElementById("swagger-container");
  function cookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : undefined;
  }
  window.ui = SwaggerUIBundle({
    url: container.dataset.specUrl,
    dom_id: "#swagger-container",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "BaseLayout",
    requestInterceptor: function (request) {
      var token = cookie("csrftoken");
      if (token !== undefined) { request.headers["x-csrftoken"] = token; }
      return request;
    }
  });
})();
