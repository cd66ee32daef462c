"""dczoo.hub."""
