"""Studios: instructors (asked for, approved), their students (invites, join, removal) and the
studio's own move library, which generate may draw from (``library`` "studio" or "both")."""
