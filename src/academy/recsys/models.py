"""What the For You feed remembers per creator, in the operational database.

- `Suppression`: "not interested" in an item, or a hidden topic; the feed and the host app's
  card never show them again (until the creator resets).
- `RecentInteraction`: the creator's last clicks, completions and "not interested" signals,
  written as they arrive, so the next page reflects them without waiting for retraining.
- `FeedSession`: the items one endless feed has already shown, behind its cursor.
- `CardDelivery`: each For You card the host app was given, for the daily frequency cap.
- `FeedPreference`: Academy cards off in the host app, and when the creator reset their history.
"""

from __future__ import annotations

from django.db import models

from academy.accounts.models import Creator


class Suppression(models.Model):
    creator = models.ForeignKey(Creator, on_delete=models.CASCADE, related_name="suppressions")
    # Exactly one of the two: an item key ("lesson:12") or a topic slug.
    item = models.CharField(max_length=120, blank=True)
    topic = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["creator", "item", "topic"], name="recsys_suppress_once"
            ),
            models.CheckConstraint(
                condition=(models.Q(item="") & ~models.Q(topic=""))
                | (~models.Q(item="") & models.Q(topic="")),
                name="recsys_suppress_item_or_topic",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.creator_id}: not {self.item or 'topic ' + self.topic}"


class InteractionKind(models.TextChoices):
    CLICK = "click"
    COMPLETE = "complete"
    NOT_INTERESTED = "not_interested"


class RecentInteraction(models.Model):
    creator = models.ForeignKey(
        Creator, on_delete=models.CASCADE, related_name="recent_interactions"
    )
    item = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=InteractionKind.choices)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["creator", "-at"], name="recsys_recent_by_creator")]

    def __str__(self) -> str:
        return f"{self.creator_id} {self.kind} {self.item}"


class FeedSession(models.Model):
    id = models.CharField(primary_key=True, max_length=32)
    creator = models.ForeignKey(Creator, on_delete=models.CASCADE, related_name="feed_sessions")
    shown = models.JSONField(default=list, help_text="Item keys already served, in order.")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.id


class CardDelivery(models.Model):
    creator = models.ForeignKey(Creator, on_delete=models.CASCADE, related_name="card_deliveries")
    item = models.CharField(max_length=120)
    request_id = models.CharField(max_length=32)
    delivered_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["creator", "-delivered_at"], name="recsys_card_by_creator")]

    def __str__(self) -> str:
        return f"{self.creator_id} {self.item}"


class FeedPreference(models.Model):
    """A creator's For You settings beyond the personalisation consent on their profile."""

    creator = models.OneToOneField(
        Creator, on_delete=models.CASCADE, related_name="feed_preference"
    )
    # The host app shows no Academy card in the creator's main feed.
    cards_off = models.BooleanField(default=False)
    # "Reset": the trained model ignores what the creator did before this moment.
    history_reset_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.creator_id} preferences"
