"""Tests of dczoo.data."""
