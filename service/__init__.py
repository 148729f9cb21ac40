"""Imprimatur service: HTTP API, persistence, authentication and CLI."""
