"""What collections tells the features above it, without importing them (Django signals).

- ``choreography_deleting`` (kwargs ``task``): sent before a saved choreography's video and
  row are deleted; a receiver refuses the deletion by raising a ChoreoError (class plans
  raise InUseError while a plan uses it). Sent with ``asend``: the error reaches the caller
  before anything is deleted.
"""

from __future__ import annotations

from django.dispatch import Signal

choreography_deleting = Signal()
