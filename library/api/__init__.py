"""The JSON API v1 (contract: API.md)."""
