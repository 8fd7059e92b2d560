// Starts Swagger UI on the server's own OpenAPI document (a file, not an inline script, so the page keeps the CSP).
window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true });
