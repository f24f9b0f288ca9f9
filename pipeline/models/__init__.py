"""Model sources and architectures: one loading code path for hub and synthetic models."""
