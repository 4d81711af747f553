"""Server-rendered pages (Jinja2 + htmx, vendored): readable without JavaScript, enhanced with it."""
