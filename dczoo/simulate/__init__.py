"""dczoo.simulate."""
