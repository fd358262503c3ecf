"""What a generation tells the features above it, without importing them (Django signals).

Generation sits below collections and class plans: it cannot call them, so it announces.

- ``generation_requested`` (kwargs ``user``): sent by ``prepare_generation`` before any row
  exists; a receiver refuses the generation by raising a ChoreoError (collections refuses it
  when the user's storage quota is reached). Sent with ``asend``: the error reaches the caller.
- ``video_completed`` (kwargs ``task``): sent once a generation's row is completed; a receiver
  that fails is logged and never fails the generation (collections auto-saves it). Sent with
  ``asend_robust``.
"""

from __future__ import annotations

from django.dispatch import Signal

generation_requested = Signal()
video_completed = Signal()
