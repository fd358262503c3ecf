"""Class plans for instructors: ordered sequences of saved choreographies with notes."""
