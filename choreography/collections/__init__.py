"""Saved choreographies: a dancer's collection, its stats, quota and public share links."""
