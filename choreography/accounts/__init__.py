"""Who is calling: API tokens (and, next, sign-up, log-in and profiles)."""
