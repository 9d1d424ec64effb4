"""Times as MSP's staff type and read them: Pakistan time (UTC+5, no daylight saving time since
2009), stored in UTC. The console's forms (a campaign's closing time, a moderation window) and
its days (``stats``) all use this one offset."""
from datetime import datetime, timedelta, timezone

OFFSET = timedelta(hours=5)
PAKISTAN_TIME = timezone(OFFSET, "PKT")
# As a browser's datetime-local input sends it, with or without seconds, or typed with a space.
FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")


def parse(text):
    """A Pakistan time as typed (``2025-03-01 14:30``), in UTC (naive); None when it is not one."""
    for pattern in FORMATS:
        try:
            moment = datetime.strptime(text.strip(), pattern)
        except ValueError:
            continue
        # Only from year 2 to 9998: a day or a time zone added or taken away later (as UTC,
        # on the page, in the chart) must not leave the calendar (OverflowError, a 500).
        return moment - OFFSET if 2 <= moment.year <= 9998 else None
    return None


def shown(moment, seconds=False):
    """A stored UTC time in Pakistan time, as a datetime-local input shows it ("" for none)."""
    if moment is None:
        return ""
    return (moment + OFFSET).strftime("%Y-%m-%dT%H:%M:%S" if seconds else "%Y-%m-%dT%H:%M")
