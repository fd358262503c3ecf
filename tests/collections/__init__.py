"""My choreographies (``choreography.collections``): saving, editing, sharing, quota and retention."""
