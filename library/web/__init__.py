"""Pages for visitors, staff and displays, rendered on the server from Jinja2 templates."""
