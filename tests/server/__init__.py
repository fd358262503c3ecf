"""The process: settings, ``manage.py serve`` and start-up, commands on a fresh data dir,
operations.
"""
