from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from academy.accounts.choices import Level

__all__ = ["LessonKind", "Level", "PublishStatus", "TranslationStatus", "WikiCategory"]


class PublishStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class TranslationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")


class LessonKind(models.TextChoices):
    VIDEO = "video", _("Video")
    ARTICLE = "article", _("Article")
    QUIZ = "quiz", _("Quiz")
    LIVE = "live", _("Live class")


class WikiCategory(models.TextChoices):
    GLOSSARY = "glossary", _("Glossary")
    HOW_TO = "how-to", _("How-to guides")
    POLICIES = "policies", _("Policies")
    TOOLS = "tools", _("Tools")
    TROUBLESHOOTING = "troubleshooting", _("Troubleshooting")


# The managed taxonomy of PRODUCT.md §3.1, seeded by a migration; editors may add topics.
SEED_TOPICS: tuple[tuple[str, dict[str, str]], ...] = (
    (
        "getting-started",
        {"en": "Getting started", "es": "Primeros pasos", "pt-br": "Primeiros passos"},
    ),
    (
        "creation-essentials",
        {
            "en": "Creation essentials",
            "es": "Bases de la creación",
            "pt-br": "Essenciais da criação",
        },
    ),
    (
        "content-strategy",
        {
            "en": "Content strategy",
            "es": "Estrategia de contenido",
            "pt-br": "Estratégia de conteúdo",
        },
    ),
    (
        "growth-analytics",
        {
            "en": "Growth and analytics",
            "es": "Crecimiento y analíticas",
            "pt-br": "Crescimento e análises",
        },
    ),
    ("live", {"en": "LIVE", "es": "LIVE", "pt-br": "LIVE"}),
    ("monetisation", {"en": "Monetisation", "es": "Monetización", "pt-br": "Monetização"}),
    (
        "community-safety",
        {
            "en": "Community guidelines and safety",
            "es": "Normas de la comunidad y seguridad",
            "pt-br": "Diretrizes da comunidade e segurança",
        },
    ),
    (
        "brand-partnerships",
        {
            "en": "Brand partnerships",
            "es": "Colaboraciones con marcas",
            "pt-br": "Parcerias com marcas",
        },
    ),
    ("commerce", {"en": "Commerce", "es": "Comercio", "pt-br": "Comércio"}),
    ("wellbeing", {"en": "Wellbeing", "es": "Bienestar", "pt-br": "Bem-estar"}),
)
