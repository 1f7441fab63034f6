"""Notifications: mail, calendar files and feeds, reminders, and the worker that sends the outbox."""
