"""dczoo.layers."""
