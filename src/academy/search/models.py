"""The search index's bookkeeping, in the operational database.

`SearchDocument` holds one row per published item and language, with the text a creator reads in
that language. The database's own full-text engine indexes these rows: on SQLite an FTS5 table
kept in step by triggers, on PostgreSQL a generated, weighted `tsvector` column (both created by
migration 0002, see backends/). `SearchTerm` is the vocabulary behind "did you mean" and
autocomplete; `ItemPopularity` is the 28-day popularity the ranking blends in.
"""

from __future__ import annotations

from django.db import models


class SearchDocument(models.Model):
    """One published item in one language, as search finds and shows it."""

    # "<item_kind>:<item_id>", the same ids events use: course:<slug>, lesson:<pk>, wiki:<slug>.
    item = models.CharField(max_length=120)
    item_kind = models.CharField(max_length=16)
    item_id = models.CharField(max_length=100)
    language = models.CharField(max_length=8)
    is_original = models.BooleanField(default=True)
    # What the "kind" filter offers: course, video, article, quiz, live, wiki.
    kind = models.CharField(max_length=16)
    level = models.CharField(max_length=16, blank=True)
    topic = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    hashtags = models.TextField(blank=True, help_text="Hashtag names separated by spaces.")
    summary = models.TextField(blank=True)
    body = models.TextField(blank=True, help_text="Plain text: Markdown already rendered.")
    slug = models.CharField(max_length=80)
    course_slug = models.CharField(max_length=80, blank=True)
    parent_title = models.CharField(max_length=200, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    indexed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "language"], name="search_document_once")
        ]
        indexes = [models.Index(fields=["item"], name="search_document_item")]

    def __str__(self) -> str:
        return f"{self.item} [{self.language}]"


class SearchTerm(models.Model):
    """A word of the indexed text and how many documents hold it.

    ``key`` is the word folded (case and accents removed) — what lookups compare; ``word`` is
    how it is shown (with its accents).
    """

    key = models.CharField(max_length=40, unique=True)
    word = models.CharField(max_length=40)
    documents = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.word


class ItemPopularity(models.Model):
    """An item's clicks and impressions over the last 28 days, from the events rollups."""

    item = models.CharField(max_length=120, unique=True)
    clicks = models.PositiveIntegerField(default=0)
    impressions = models.PositiveIntegerField(default=0)
    # log1p(clicks) scaled so the most clicked item is 1.0; see docs/SEARCH.md.
    score = models.FloatField(default=0.0)
    refreshed_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "item popularity"

    def __str__(self) -> str:
        return f"{self.item}: {self.score:.2f}"


class IndexVersion(models.Model):
    """One row whose ``token`` changes in the same transaction as every change to the documents
    or the popularity, so a reader can tell in one lookup that what it cached is out of date.
    For You's catalogue checks it every few seconds (counting 100,000 documents instead cost
    30 ms of CPU per check) and search reads its cached popularity and hashtags through it.
    A random token rather than a counter: after a rolled-back change the next change would
    reuse a counter's number for different content."""

    token = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"index version {self.token}"
