"""What the simulator assumes where no public data says it: every number here is a stated guess.

KuaiRand (fitted in ``parameters.py``) gives the shape of activity, follower counts, account age,
live streaming and video length. Everything else — markets, languages, niches, goals, how people
click and learn — is written down here, with the reasoning in docs/SIMULATION.md, so that a
reader can disagree with one number and change it in one place.

The vocabularies (regions, niches, goals, tiers, levels) mirror the product's choices in
``academy.accounts.choices``; a test keeps them equal, since this package may not import Django.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

# ---------------------------------------------------------------------------------------------
# Vocabularies shared with the product

LEVELS: Final = ("beginner", "intermediate", "advanced")
FORMATS: Final = ("course", "video", "article", "quiz", "live", "wiki")
FOLLOWER_TIERS: Final = ("starter", "nano", "micro", "mid", "macro")
# Lower bound of each tier, in the order above (accounts.choices.FOLLOWER_TIER_FLOORS).
FOLLOWER_TIER_FLOORS: Final = (0, 1_000, 10_000, 100_000, 1_000_000)
GOALS: Final = (
    "grow_audience",
    "improve_content",
    "monetise",
    "go_live",
    "brand_deals",
    "build_community",
    "stay_safe",
)
PLATFORMS: Final = ("android", "ios", "web")
APP_VERSIONS: Final = ("34.2.0", "34.1.3", "33.9.1")
APP_VERSION_SHARES: Final = (0.55, 0.30, 0.15)

# ---------------------------------------------------------------------------------------------
# Markets: where creators are, which language they use, their time zone and devices.

# Creators by market: a rough split of the short-video creator base over the shipped markets.
REGION_SHARES: Final = MappingProxyType(
    {
        "US": 0.16, "GB": 0.05, "CA": 0.03, "AU": 0.02, "IN": 0.06, "ID": 0.10, "PH": 0.05,
        "BR": 0.14, "PT": 0.02, "MX": 0.08, "ES": 0.04, "AR": 0.03, "CO": 0.03, "DE": 0.04,
        "FR": 0.04, "NG": 0.03, "ZA": 0.02, "ZZ": 0.06,
    }
)  # fmt: skip
# The product's languages (en, es, pt-br) per market; markets without theirs use English.
REGION_LANGUAGES: Final = MappingProxyType(
    {
        "US": {"en": 0.85, "es": 0.15},
        "BR": {"pt-br": 1.0},
        "PT": {"pt-br": 1.0},
        "MX": {"es": 1.0},
        "ES": {"es": 1.0},
        "AR": {"es": 1.0},
        "CO": {"es": 1.0},
    }
)
# One representative IANA zone per market, and its standard UTC offset in hours (no DST).
REGION_TIMEZONES: Final = MappingProxyType(
    {
        "US": ("America/New_York", -5.0), "GB": ("Europe/London", 0.0),
        "CA": ("America/Toronto", -5.0), "AU": ("Australia/Sydney", 10.0),
        "IN": ("Asia/Kolkata", 5.5), "ID": ("Asia/Jakarta", 7.0), "PH": ("Asia/Manila", 8.0),
        "BR": ("America/Sao_Paulo", -3.0), "PT": ("Europe/Lisbon", 0.0),
        "MX": ("America/Mexico_City", -6.0), "ES": ("Europe/Madrid", 1.0),
        "AR": ("America/Argentina/Buenos_Aires", -3.0), "CO": ("America/Bogota", -5.0),
        "DE": ("Europe/Berlin", 1.0), "FR": ("Europe/Paris", 1.0), "NG": ("Africa/Lagos", 1.0),
        "ZA": ("Africa/Johannesburg", 2.0), "ZZ": ("UTC", 0.0),
    }
)  # fmt: skip
# Android dominates in these markets; elsewhere iOS and Android are close to even.
ANDROID_MARKETS: Final = frozenset({"IN", "ID", "PH", "BR", "MX", "AR", "CO", "NG", "ZA"})
PLATFORM_SHARES_ANDROID_MARKET: Final = (0.80, 0.15, 0.05)
PLATFORM_SHARES_OTHER_MARKET: Final = (0.45, 0.50, 0.05)

# When in the creator's local day a session starts: a late-evening peak, quiet nights.
HOURLY_SESSION_SHARES: Final = (
    1.0, 0.6, 0.4, 0.3, 0.3, 0.5, 1.0, 2.0, 3.0, 3.0, 3.0, 3.5,
    4.5, 4.5, 4.0, 4.0, 4.5, 5.5, 6.5, 7.5, 8.0, 7.5, 5.5, 3.0,
)  # fmt: skip

# ---------------------------------------------------------------------------------------------
# Who creators are

NICHE_SHARES: Final = MappingProxyType(
    {
        "comedy": 0.13, "beauty": 0.11, "gaming": 0.09, "food": 0.09, "education": 0.07,
        "music": 0.07, "dance": 0.07, "sports": 0.06, "travel": 0.05, "tech": 0.05,
        "lifestyle": 0.10, "pets": 0.04, "business": 0.03, "art": 0.03, "other": 0.01,
    }
)  # fmt: skip
# Chance a creator of each tier (starter … macro) holds each goal; "go_live" is KuaiRand's
# live-streamer share times the factor here.
GOAL_SHARES_BY_TIER: Final = MappingProxyType(
    {
        "grow_audience": (0.75, 0.70, 0.55, 0.45, 0.35),
        "improve_content": (0.50, 0.50, 0.45, 0.40, 0.35),
        "monetise": (0.20, 0.40, 0.60, 0.70, 0.70),
        "go_live": (0.80, 1.00, 1.30, 1.50, 1.50),
        "brand_deals": (0.05, 0.15, 0.40, 0.60, 0.70),
        "build_community": (0.20, 0.30, 0.35, 0.35, 0.30),
        "stay_safe": (0.10, 0.10, 0.15, 0.20, 0.25),
    }
)
MAX_GOALS: Final = 3
ONBOARDED_SHARE: Final = 0.6  # answered the three onboarding questions
STATED_LEVEL_ACCURACY: Final = 0.75  # the rest say one level off their real one
PERSONALISATION_CONSENT_SHARE: Final = 0.97
# Skill: a score from followers and account age plus noise, cut so that these shares hold.
SKILL_SHARES: Final = (0.50, 0.35, 0.15)
SKILL_FOLLOWER_WEIGHT: Final = 0.5  # per factor of ten followers
SKILL_AGE_WEIGHT: Final = 0.4  # per log(1 + years)
SKILL_NOISE: Final = 0.8
# KuaiRand's new-user activity degrees fix the account age (days), whatever the fitted curve.
NEW_ACCOUNT_AGE_DAYS: Final = MappingProxyType(
    {"day_new": (1, 1), "2_14_day_new": (2, 14), "30day_retention": (15, 30)}
)
# Chance of visiting the Academy on a given day, by KuaiRand activity degree in the app.
VISIT_PROBABILITY_BY_ACTIVITY: Final = MappingProxyType(
    {
        "full_active": 0.34,
        "high_active": 0.22,
        "middle_active": 0.12,
        "low_active": 0.06,
        "single_low_active": 0.03,
        "2_14_day_new": 0.18,
        "day_new": 0.25,
        "30day_retention": 0.10,
    }
)
SESSION_MINUTES_MEDIAN: Final = 6.0
SESSION_MINUTES_SIGMA: Final = 0.6

# ---------------------------------------------------------------------------------------------
# Latent preferences: the truth a recommender tries to learn

# Demand for topics, most wanted first; weights follow KuaiRand's tag rank-frequency curve.
TOPIC_DEMAND_ORDER: Final = (
    "growth-analytics",
    "getting-started",
    "creation-essentials",
    "monetisation",
    "content-strategy",
    "live",
    "brand-partnerships",
    "community-safety",
    "commerce",
    "wellbeing",
)
TOPIC_DEMAND_WEIGHT: Final = 0.6  # times log(demand / geometric mean)
TOPIC_NOISE: Final = 0.9  # each creator's own taste, unknown to any feature
GOAL_TOPIC_BOOST: Final = 0.8
NICHE_TOPIC_BOOST: Final = 0.3
BEGINNER_TOPIC_BOOST: Final = 0.6  # beginners want "getting started"
GOAL_TOPICS: Final = MappingProxyType(
    {
        "grow_audience": ("growth-analytics", "content-strategy"),
        "improve_content": ("creation-essentials",),
        "monetise": ("monetisation", "commerce"),
        "go_live": ("live",),
        "brand_deals": ("brand-partnerships",),
        "build_community": ("community-safety", "wellbeing"),
        "stay_safe": ("community-safety",),
    }
)
NICHE_TOPICS: Final = MappingProxyType(
    {
        "business": ("commerce", "monetisation"),
        "beauty": ("brand-partnerships",),
        "gaming": ("live",),
        "music": ("live",),
        "education": ("content-strategy",),
        "lifestyle": ("wellbeing",),
        "tech": ("creation-essentials",),
        "food": ("commerce",),
    }
)
FORMAT_NOISE: Final = 0.4
# Utility of an item's level (columns: beginner, intermediate, advanced, no level) for a creator
# of each true skill (rows): a step up is fine, too easy or far too hard is not.
LEVEL_FIT: Final = (
    (0.3, 0.0, -0.8, 0.0),
    (-0.3, 0.3, 0.1, 0.0),
    (-0.8, -0.3, 0.3, 0.0),
)
MISSING_LANGUAGE_PENALTY: Final = -1.0  # the item is not translated into the creator's language
ITEM_QUALITY_SIGMA: Final = 0.5

# ---------------------------------------------------------------------------------------------
# Behaviour

EXTRA_SESSIONS_PER_DAY: Final = 0.3  # Poisson mean of sessions after the first
# Requests per session at each entry point (Poisson means; academy_home is a yes/no visit).
FOR_YOU_CARD_REQUESTS: Final = 1.6
ACADEMY_HOME_VISIT: Final = 0.55
SEARCHES_PER_SESSION: Final = 0.35
HASHTAG_VISITS_PER_SESSION: Final = 0.25
ENTRY_POINTS: Final = ("for_you_card", "academy_home", "search", "hashtag")
SLATE_SIZES: Final = MappingProxyType(
    {"for_you_card": 1, "academy_home": 8, "search": 10, "hashtag": 6}
)
# Click rate of an average item in the top position, per entry point: a card in the main feed
# competes with entertainment; a search result answers a question the creator just asked.
BASE_CLICK_RATES: Final = MappingProxyType(
    {"for_you_card": 0.03, "academy_home": 0.07, "search": 0.30, "hashtag": 0.10}
)
POSITION_BIAS: Final = 0.7  # examination falls as 1 / (1 + position) ** this
# How far down a list a creator scrolls: 1 + geometric(p) cards (for lists only).
SCROLL_STOP: Final = MappingProxyType({"academy_home": 0.25, "search": 0.3, "hashtag": 0.3})
NOT_INTERESTED_RATE: Final = 0.05  # times sigmoid(-1.5 u - 1), on the card and the home feed
GAP_QUERY_SHARE: Final = 0.12  # searches for something the catalogue does not cover
GAP_QUERIES: Final = MappingProxyType(
    {
        "en": (
            "green screen", "copyright music", "ring light", "voiceover", "teleprompter",
            "shadowban", "hacked account", "verification badge", "merch store", "sound effects",
            "slideshow", "podcast clips",
        ),
        "es": (
            "pantalla verde", "música con derechos", "cuenta hackeada", "insignia verificada",
            "efectos de sonido", "teleprompter",
        ),
        "pt-br": (
            "tela verde", "música com direitos", "conta hackeada", "selo de verificado",
            "efeitos sonoros", "teleprompter",
        ),
    }
)  # fmt: skip
QUERY_TOPIC_TEMPERATURE: Final = 1.0
COMPLETION_BASE: Final = -0.3  # logit of completing an average, well-sized lesson
COMPLETION_UTILITY: Final = 0.9
COMPLETION_OVERLONG: Final = 0.8  # per log(duration / preferred session length) above 1
QUIZ_SUBMIT_SHARE: Final = 0.85
QUIZ_CORRECT_BASE: Final = 1.0  # logit of answering a question right at one's level
QUIZ_CORRECT_SKILL: Final = 0.8  # per level of skill above the quiz's level
QUIZ_CORRECT_UTILITY: Final = 0.4
DEFAULT_QUIZ_QUESTIONS: Final = 5
ENROLL_BASE: Final = 0.0  # logit of enrolling after opening a course page
ENROLL_UTILITY: Final = 0.8
OPEN_FIRST_LESSON_AFTER_ENROLL: Final = 0.7
CONTINUE_TO_NEXT_LESSON: Final = 0.45
LESSON_ROUNDS: Final = 3  # lessons in a row at most, after the one clicked
LIKE_ON_COMPLETION: Final = 0.15  # times sigmoid(u)
SAVE_ON_WIKI_READ: Final = 0.06

# Satisfaction of a day, and how it moves the chance of coming back.
VALUE_COMPLETION: Final = 1.0
VALUE_PARTIAL: Final = 0.3  # plus half the share watched
VALUE_QUIZ_FAILED: Final = 0.3
VALUE_WIKI_READ: Final = 0.5
VALUE_ENROLL: Final = 0.3
PENALTY_NOT_INTERESTED: Final = 0.5
PENALTY_ZERO_RESULTS: Final = 0.4
PENALTY_SESSION_WITHOUT_CLICK: Final = 0.2
SATISFACTION_REFERENCE: Final = 0.6  # a day worth this much leaves the chance of return as is
SATISFACTION_SMOOTHING: Final = 0.4  # weight of the latest day in the running satisfaction
RETURN_SENSITIVITY: Final = 0.9  # logit change of the visit chance per unit of satisfaction
SATISFACTION_CLIP: Final = 2.0
