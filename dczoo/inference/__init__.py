"""dczoo.inference."""
