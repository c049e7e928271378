"""Running in production: logging and metrics."""
