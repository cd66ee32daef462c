"""dczoo.distill."""
