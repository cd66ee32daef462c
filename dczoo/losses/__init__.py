"""dczoo.losses."""
