// Starts Swagger UI on the local OpenAPI document (kept out of the HTML for a strict CSP).
window.ui = SwaggerUIBundle({
  url: "/api/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  tryItOutEnabled: false,
});
