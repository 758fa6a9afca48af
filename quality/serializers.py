"""The shapes of the quality reports, for the OpenAPI schema (the answers are built as dicts by
``quality.reports``)."""

from __future__ import annotations

from rest_framework import serializers

NULL_UNTIL_BUILT = "null until the feature that measures it exists, or when there is no data"


def _rate(help_text: str) -> serializers.FloatField:
    return serializers.FloatField(allow_null=True, min_value=0, max_value=1, help_text=help_text)


def _not_yet() -> serializers.FloatField:
    return serializers.FloatField(allow_null=True, help_text=NULL_UNTIL_BUILT)


class ReportInput(serializers.Serializer):
    project = serializers.UUIDField()


class _Agreement(serializers.Serializer):
    items = serializers.IntegerField(help_text="items with two or more approved judgments (project overlap)")
    percent = _rate("percent agreement on preference over those items")
    alpha = serializers.FloatField(
        allow_null=True,
        help_text="Krippendorff's alpha (nominal): 1 perfect, 0 chance, below 0 worse than chance; "
        "null without items or when every judgment is the same",
    )


class _ContributorRow(serializers.Serializer):
    contributor = serializers.IntegerField()
    name = serializers.CharField()
    submitted = serializers.IntegerField(help_text="tasks submitted (revisions are not new tasks)")
    approved = serializers.IntegerField(help_text="of those, approved now")
    rejected = serializers.IntegerField(help_text="of those, rejected now (a reversed approval included)")
    first_pass_approval_rate = _rate("among tasks with a final decision, approved with no changes asked")
    mean_revisions = serializers.FloatField(allow_null=True, help_text="versions beyond the first, per task")
    mean_time_spent_minutes = serializers.FloatField(allow_null=True, help_text="over every version")
    gold_answers = serializers.IntegerField(help_text="gold tasks they answered (scored), ever")
    gold_accuracy = _rate("share of those that matched the gold answer")
    first_position_rate = _rate(
        "share of non-tie preferences (each task's latest) for the answer shown first"
    )
    position_bias_p = _rate("exact two-sided binomial p-value of that share against one half")
    agreement_rate = _rate(
        "share of the pairs their approved judgments form with others' on the same items that agree"
    )
    appeals_filed = serializers.IntegerField(help_text="rejections of theirs they appealed")
    appeals_won = serializers.IntegerField(help_text="of those, overturned (approved and paid)")
    suspended = serializers.BooleanField(help_text="a suspension from claiming in the project is in force")
    flags = serializers.ListField(
        child=serializers.ChoiceField(choices=["position_bias", "gold_below_bar", "suspended"])
    )


class _ReviewerRow(serializers.Serializer):
    reviewer = serializers.IntegerField()
    name = serializers.CharField()
    decisions = serializers.IntegerField()
    approve_rate = _rate("share of decisions")
    request_changes_rate = _rate("share of decisions")
    reject_rate = _rate("share of decisions")
    median_decision_minutes = serializers.FloatField(allow_null=True, help_text="assignment to decision")
    overturned_by_later_layer = serializers.IntegerField(
        help_text="approvals a higher layer sent back or rejected (the same submission version)"
    )
    appeals_overturned = serializers.IntegerField(help_text="their rejections that an appeal overturned")
    expired = serializers.IntegerField(help_text="assignments that ran past due")
    calibration_seen = serializers.IntegerField(help_text="calibration plants they decided")
    calibration_catch_rate = _rate(
        "share of those decided right: approving a plant that deserved approval, not approving one "
        "that deserved changes or rejection"
    )
    flags = serializers.ListField(
        child=serializers.ChoiceField(choices=["overturned_often", "approves_bad_plants"])
    )


class ContributorReportOutput(serializers.Serializer):
    project = serializers.UUIDField()
    agreement = _Agreement()
    rows = _ContributorRow(many=True)


class ReviewerReportOutput(serializers.Serializer):
    project = serializers.UUIDField()
    agreement = _Agreement()
    rows = _ReviewerRow(many=True)


class _LeaderboardRow(serializers.Serializer):
    model = serializers.CharField()
    rating = serializers.FloatField(
        help_text="Bradley-Terry rating on the Elo scale; the ratings' mean is 1000"
    )
    ci_low = serializers.FloatField(help_text="95% bootstrap interval, low end")
    ci_high = serializers.FloatField(help_text="95% bootstrap interval, high end")
    comparisons = serializers.IntegerField(help_text="judgments the model took part in")
    wins = serializers.IntegerField()
    losses = serializers.IntegerField()
    ties = serializers.IntegerField()
    win_rate = _rate("(wins + ties / 2) / comparisons")
    mean_scores = serializers.DictField(
        child=serializers.FloatField(allow_null=True),
        help_text="per criterion, the mean score its answer was given (null: no score)",
    )


class LeaderboardOutput(serializers.Serializer):
    project = serializers.UUIDField()
    judgments = serializers.IntegerField(help_text="approved, non-gold judgments counted")
    models = _LeaderboardRow(many=True, help_text="best first")
