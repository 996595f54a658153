"""Timestamps in the API's RFC 3339 form (UTC, whole seconds) and the ages kubectl shows."""

from datetime import datetime, timezone


def now_rfc3339():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text):
    """A timezone-aware datetime, or None when `text` is not a timestamp."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return None


def human_age(text, until=None):
    """The apiserver's short duration ("45s", "3m12s", "5h", "12d") since the timestamp `text` (up to `until`)."""
    then = parse_rfc3339(text)
    end = parse_rfc3339(until) if until else datetime.now(timezone.utc)
    if then is None or end is None:
        return "<invalid>"
    seconds = int((end - then).total_seconds())
    if seconds < -1:
        return "<invalid>"
    seconds = max(seconds, 0)
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if seconds < 120:
        return f"{seconds}s"
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s" if seconds % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    if days < 365 * 2:
        return f"{days}d"
    years = days // 365
    if years < 8:
        return f"{years}y{days % 365}d" if days % 365 else f"{years}y"
    return f"{years}y"
