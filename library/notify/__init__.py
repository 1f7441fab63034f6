"""Notifications: the outbox, mail, calendar files and the worker that sends them."""
