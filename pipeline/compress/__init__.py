"""Compression methods (one registry) and the one definition of what is prunable."""
