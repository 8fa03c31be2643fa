"""Checking published draws: replaying an audit record against the files it names."""
