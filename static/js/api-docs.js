// Starts Swagger UI on /api/docs from the page's data attributes (no inline script: the CSP forbids it).
(function () {
  "use strict";
  var box = document.getElementById("swagger-ui-container");
  var config = { url: box.dataset.specUrl, dom_id: "#swagger-ui-container" };
  var extra = JSON.parse(box.dataset.config || "{}");
  Object.keys(extra).forEach(function (key) { config[key] = extra[key]; });
  window.ui = window.SwaggerUIBundle(config);
})();
