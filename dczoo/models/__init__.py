"""dczoo.models."""
