"""dczoo.analysis."""
