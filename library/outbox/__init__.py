"""The outbox: notifications written in the same transaction as the change they report."""
