"""The storage adapters (``storage``): one contract run on local disk and on S3, and what only S3
does.
"""
