"""Shapes of the reviews API. Reviewers never see model identities or a contributor's name."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marlin.api.serializers import ModelOutput, StrictInput
from people.pseudonyms import author_pseudonym
from reviews.domain import MAX_FEEDBACK, MAX_REASONS
from reviews.models import ReviewAssignment
from tasks.domain.review_round import Decision
from tasks.selectors import plant_as_read_by
from tasks.serializers import SubmissionOutput, reads_canonical_order


class AssignmentOutput(ModelOutput):
    class Meta:
        model = ReviewAssignment
        fields = [
            "id",
            "task",
            "layer",
            "kind",
            "reviewer",
            "status",
            "assigned_at",
            "due_at",
            "decision",
            "feedback",
            "reasons",
            "decided_at",
            "submission_version",
        ]


class ReviewTaskOutput(serializers.Serializer):
    """The task as a reviewer sees it: no models, the contributor as a pseudonym, A and B in the
    order its contributor was shown (ops: as imported)."""

    id = serializers.UUIDField()
    project = serializers.UUIDField(source="project_id")
    status = serializers.CharField()
    layer = serializers.IntegerField(allow_null=True)
    prompt = serializers.CharField()
    context = serializers.CharField()
    response_a = serializers.CharField()
    response_b = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    contributor_pseudonym = serializers.SerializerMethodField()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        viewer = self.context.get("viewer")
        if instance.presented_swapped and not reads_canonical_order(viewer, instance.contributor_id):
            data["response_a"], data["response_b"] = data["response_b"], data["response_a"]
        if instance.calibration and viewer is not None:
            data["status"], data["layer"] = plant_as_read_by(viewer.pk, instance)
        return data

    def get_contributor_pseudonym(self, task: Any) -> str | None:
        return author_pseudonym(task.contributor_id, plant_id=task.id if task.calibration else None)


class EarlierRoundOutput(ModelOutput):
    """An earlier review of this task: what was decided and why (not by whom)."""

    class Meta:
        model = ReviewAssignment
        fields = ["layer", "kind", "submission_version", "decision", "feedback", "reasons", "decided_at"]


class AssignmentDetailOutput(AssignmentOutput):
    task_detail = serializers.SerializerMethodField()
    criteria = serializers.SerializerMethodField()
    reason_codes = serializers.SerializerMethodField(
        help_text="The project's reason codes, one or more of which a request for changes or a "
        "rejection names."
    )
    submission = serializers.SerializerMethodField()
    earlier_submissions = serializers.SerializerMethodField()
    earlier_rounds = serializers.SerializerMethodField()
    appeal_reason = serializers.SerializerMethodField(
        help_text="For an assignment of kind appeal: why the contributor says the rejection was "
        "wrong (null otherwise)."
    )

    class Meta(AssignmentOutput.Meta):
        fields = [
            *AssignmentOutput.Meta.fields,
            "task_detail",
            "criteria",
            "reason_codes",
            "submission",
            "earlier_submissions",
            "earlier_rounds",
            "appeal_reason",
        ]

    def _submission(self, submission: Any) -> Any:
        return SubmissionOutput(submission, context=self.context).data if submission else None

    def get_task_detail(self, obj: ReviewAssignment) -> Any:
        return ReviewTaskOutput(obj.task, context=self.context).data

    def get_criteria(self, obj: ReviewAssignment) -> list[str]:
        return list(self.context["review"]["criteria"])

    def get_reason_codes(self, obj: ReviewAssignment) -> list[str]:
        return list(self.context["review"]["reason_codes"])

    def get_submission(self, obj: ReviewAssignment) -> Any:
        return self._submission(self.context["review"]["submission"])

    def get_earlier_submissions(self, obj: ReviewAssignment) -> Any:
        return [self._submission(s) for s in self.context["review"]["earlier_submissions"]]

    def get_earlier_rounds(self, obj: ReviewAssignment) -> Any:
        return EarlierRoundOutput(self.context["review"]["earlier_rounds"], many=True).data

    def get_appeal_reason(self, obj: ReviewAssignment) -> str | None:
        return self.context["review"]["appeal_reason"]


class DecisionInput(StrictInput):
    # The shape of a decision only: which feedback and reasons it needs is the domain's rule.
    decision = serializers.ChoiceField(choices=[d.value for d in Decision])
    feedback = serializers.CharField(max_length=MAX_FEEDBACK, required=False, allow_blank=True)
    reasons = serializers.ListField(
        child=serializers.CharField(max_length=40), max_length=MAX_REASONS, required=False
    )


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}]})
class ReviewerReferenceField(serializers.Field):
    """A person by id (a JSON number) or by username (a JSON string)."""

    def to_internal_value(self, data: Any) -> int | str:
        if isinstance(data, int) and not isinstance(data, bool):
            return data
        if isinstance(data, str) and 0 < len(data) <= 150:
            return data
        raise serializers.ValidationError("a person's id (a number) or username (a string)")

    def to_representation(self, value: Any) -> Any:
        return value


class ReassignInput(StrictInput):
    reviewer = ReviewerReferenceField(
        required=False, help_text="The reviewer's id or username. Without it, routing picks."
    )


class ExportInput(serializers.Serializer):
    project = serializers.UUIDField()


# --- the queue overview (documentation of ``GET queues/``) ---------------------------------------------


class _StateCount(serializers.Serializer):
    count = serializers.IntegerField()
    oldest_seconds = serializers.IntegerField(allow_null=True)


class _LayerQueue(serializers.Serializer):
    layer = serializers.IntegerField()
    assigned = serializers.IntegerField()
    unassigned = serializers.IntegerField()
    oldest_assigned_seconds = serializers.IntegerField(allow_null=True)
    oldest_unassigned_seconds = serializers.IntegerField(allow_null=True)


class _Throughput(serializers.Serializer):
    submitted = serializers.IntegerField()
    approved = serializers.IntegerField()
    rejected = serializers.IntegerField()
    changes_requested = serializers.IntegerField()
    cancelled = serializers.IntegerField()


class _ProjectQueue(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    status = serializers.CharField()
    review_layers = serializers.IntegerField()
    tasks = serializers.DictField(child=_StateCount(), help_text="per task status")
    layers = _LayerQueue(many=True)
    overdue_claims = serializers.IntegerField()
    overdue_reviews = serializers.IntegerField()
    throughput_24h = _Throughput()
    first_pass_approval_rate = serializers.FloatField(allow_null=True)
    reason_counts = serializers.DictField(child=serializers.IntegerField())
    unstaffed_skills = serializers.ListField(
        child=serializers.CharField(),
        help_text="required skills no active contributor has: nobody can claim this project's tasks",
    )
    unstaffed_layers = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="review layers no active reviewer is eligible for (level or skills): their reviews "
        "wait in the unassigned queue until someone is raised or given the skill",
    )


class _ReviewerLoad(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    reviewer_level = serializers.IntegerField()
    active = serializers.BooleanField()
    pending = serializers.IntegerField()
    capacity = serializers.IntegerField()
    last_assigned_at = serializers.DateTimeField(allow_null=True)


class QueueOverviewOutput(serializers.Serializer):
    generated_at = serializers.DateTimeField()
    projects = _ProjectQueue(many=True)
    reviewers = _ReviewerLoad(many=True)
