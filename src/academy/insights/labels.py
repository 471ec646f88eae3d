"""Names people read for the breakdowns and entry points (the data holds their keys)."""

from __future__ import annotations

from django.utils.translation import gettext as _


def breakdown_label(breakdown: str) -> str:
    labels = {
        "region": _("Region"),
        "language": _("Language"),
        "follower_tier": _("Follower tier"),
        "platform": _("Platform"),
        "entry_point": _("Entry point"),
        "experiment": _("Experiment variant"),
    }
    return str(labels.get(breakdown, breakdown))


def entry_point_label(entry_point: str) -> str:
    labels = {
        "for_you_card": _("For You card"),
        "search": _("Search"),
        "hashtag": _("Hashtag page"),
        "academy_home": _("Academy home"),
        "course_page": _("Course page"),
        "wiki": _("Wiki"),
        "notification": _("Notification"),
        "direct": _("Direct link"),
    }
    return str(labels.get(entry_point, entry_point))
