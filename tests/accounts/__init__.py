"""Accounts (``choreography.accounts``): sign-up, tokens, sessions, sign-in links, the throttle,
their pages.
"""
