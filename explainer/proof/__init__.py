"""proof layer."""
