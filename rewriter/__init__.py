"""dockerfix: migrate Python container builds from Alpine (musl) to Debian slim (glibc)."""

__version__ = "0.1.0"
