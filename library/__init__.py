"""The Ulm smart-library booking service."""
