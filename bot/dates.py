"""Dates, periods and schedules as people read them, one format everywhere: "4 Dec 2026",
"4–11 Dec 2026", "4 Dec 2026, 17:00", "Fridays at 17:00 (London time)". The words are in
handlers/texts.py (DATES, MONTHS, DAYS); this module only puts them together."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.wording import Words, word

DATES = Words("DATES")


def _months() -> tuple[str, ...]:
    months: tuple[str, ...] = word("MONTHS")
    return months


def _local(moment: datetime, zone: ZoneInfo | None) -> datetime:
    return moment.astimezone(zone) if zone is not None else moment


def day(moment: datetime | date | str, zone: ZoneInfo | None = None) -> str:
    """A day: "4 Dec 2026" (a stored stamp, a datetime shown in `zone`, or a date)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if isinstance(moment, datetime):
        moment = _local(moment, zone).date()
    return DATES["day"].format(day=moment.day, month=_months()[moment.month - 1], year=moment.year)


def clock(moment: datetime | time) -> str:
    """A time of day: "17:00"."""
    return DATES["time"].format(hour=moment.hour, minute=moment.minute)


def day_time(moment: datetime | str, zone: ZoneInfo | None = None) -> str:
    """A moment: "4 Dec 2026, 17:00" (in `zone` when given)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    local = _local(moment, zone)
    return DATES["day_time"].format(date=day(local), time=clock(local))


def days(first: date, last: date) -> str:
    """Days from `first` to `last`, both included: "4–11 Dec 2026", "30 Nov – 6 Dec 2026"."""
    months = _months()
    if first == last:
        return day(first)
    if first.year != last.year:
        return DATES["range"].format(first=day(first), last=day(last))
    if first.month != last.month:
        return DATES["range_year"].format(
            first=first.day,
            first_month=months[first.month - 1],
            last=last.day,
            last_month=months[last.month - 1],
            year=last.year,
        )
    return DATES["range_month"].format(
        first=first.day, last=last.day, month=months[last.month - 1], year=last.year
    )


def period(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    """A period [start, end) in `zone`: its days, or the times within one day."""
    start, end = start.astimezone(zone), end.astimezone(zone)
    if start.time() == time(0) and end.time() == time(0):
        # Whole days: the last day inside the period, not the exclusive end.
        return days(start.date(), (end - timedelta(days=1)).date())
    if start.date() == end.date():
        return DATES["times"].format(date=day(start), start=clock(start), end=clock(end))
    return days(start.date(), end.date())


def place(timezone: str) -> str:
    """A time zone as people call it: "Europe/London" -> "London"."""
    return timezone.rsplit("/", 1)[-1].replace("_", " ")


# Zones that are UTC itself: said as "UTC", not "UTC time".
UTC_NAMES = {"UTC", "Etc/UTC", "Etc/GMT", "GMT", "Universal", "Zulu"}

# Cron's day-of-week numbers and names, Monday first as in DAYS.
_CRON_DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


def _weekdays(field: str) -> list[int] | None:
    """Cron's day-of-week field as Monday-first numbers; None for forms not put in words."""
    found: list[int] = []
    for part in field.lower().split(","):
        ends = part.split("-")
        if len(ends) > 2:
            return None
        numbers = []
        for end in ends:
            if end in _CRON_DAYS:
                numbers.append(_CRON_DAYS[end])
            elif end.isdigit() and int(end) <= 7:
                numbers.append((int(end) - 1) % 7)  # cron: 0 and 7 are Sunday
            else:
                return None
        if len(numbers) == 2:
            first, last = numbers
            if last < first:
                return None
            found += range(first, last + 1)
        else:
            found += numbers
    return sorted(set(found))


def schedule(cron: str, timezone: str) -> str:
    """A cron schedule in words: "Fridays at 17:00 (London time)"; the cron text itself for
    the forms not put in words (steps, several times a day, certain months)."""
    fields = cron.split()
    zone = (
        DATES["zone_utc"] if timezone in UTC_NAMES else DATES["zone"].format(place=place(timezone))
    )
    if len(fields) != 5 or not (fields[0].isdigit() and fields[1].isdigit()):
        return DATES["schedule_cron"].format(cron=cron, zone=zone)
    minute, hour, month_day, month, weekday = fields
    at = DATES["time"].format(hour=int(hour), minute=int(minute))
    if month != "*":
        return DATES["schedule_cron"].format(cron=cron, zone=zone)
    if month_day == "*" and weekday == "*":
        return DATES["schedule_daily"].format(time=at, zone=zone)
    if weekday == "*" and month_day.isdigit():
        return DATES["schedule_monthly"].format(day=_ordinal(int(month_day)), time=at, zone=zone)
    found = _weekdays(weekday) if month_day == "*" else None
    if not found:
        return DATES["schedule_cron"].format(cron=cron, zone=zone)
    if len(found) == 7:
        return DATES["schedule_daily"].format(time=at, zone=zone)
    names: tuple[str, ...] = word("DAYS")
    if len(found) > 2 and found == list(range(found[0], found[-1] + 1)):
        which = DATES["days_range"].format(first=names[found[0]], last=names[found[-1]])
    else:
        every: tuple[str, ...] = word("DAYS_EVERY")
        plural = [every[n] for n in found]
        which = (
            plural[0]
            if len(plural) == 1
            else DATES["days_and"].format(some=", ".join(plural[:-1]), last=plural[-1])
        )
    return DATES["schedule_weekly"].format(days=which, time=at, zone=zone)


def _ordinal(n: int) -> str:
    """A day of the month as a schedule says it: "1st"."""
    days: tuple[str, ...] = word("DAYS_OF_MONTH")
    return days[n - 1] if 1 <= n <= len(days) else str(n)
