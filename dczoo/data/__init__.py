"""dczoo.data."""
