"""People and what they may do: users, roles, tokens, sessions, certifications."""
