"""Input and output shapes of the tasks API. Business rules live in the domain, not here."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marlin.api.serializers import ModelOutput, StrictInput
from marlin.kernel.roles import Role, has_role
from people.pseudonyms import author_pseudonym
from tasks.domain.judgment import MAX_RATIONALE, PREFERENCES
from tasks.domain.presentation import swapped_preference, swapped_scores
from tasks.domain.task import TaskStatus
from tasks.models import GoldTask, Project, Submission, Suspension, Task, TaskRound
from tasks.selectors import plant_as_read_by, sees_rounds

# --- projects ----------------------------------------------------------------------------------------


class ProjectSettingsInput(StrictInput):
    name = serializers.CharField(max_length=200)
    randomize_order = serializers.BooleanField(
        required=False, help_text="Each claim shows A and B in an order drawn at random (default true)."
    )
    instructions = serializers.CharField(max_length=50_000, allow_blank=True, required=False)
    rate = serializers.DecimalField(max_digits=12, decimal_places=2, required=False)
    currency = serializers.CharField(max_length=3, required=False)
    review_layers = serializers.IntegerField(required=False)
    max_revisions = serializers.IntegerField(required=False)
    claim_timeout_minutes = serializers.IntegerField(required=False)
    review_timeout_minutes = serializers.IntegerField(required=False)
    criteria = serializers.ListField(
        child=serializers.CharField(max_length=60), max_length=40, required=False
    )
    reason_codes = serializers.ListField(
        child=serializers.CharField(max_length=60), max_length=60, required=False
    )
    required_skills = serializers.ListField(
        child=serializers.CharField(max_length=60), max_length=60, required=False
    )
    gold_min_accuracy = serializers.DecimalField(
        max_digits=4,
        decimal_places=3,
        min_value=Decimal(0),
        max_value=Decimal(1),
        allow_null=True,
        required=False,
        help_text="The gold bar: a contributor with at least gold_min_answers gold answers and a lower "
        "accuracy is suspended from claiming in the project. Null (the default): off.",
    )
    gold_min_answers = serializers.IntegerField(
        required=False, help_text="Gold answers counted before the bar applies (default 5)."
    )
    overlap = serializers.IntegerField(
        required=False,
        help_text="1 to 5 (default 1): each item imported from now on becomes this many sibling tasks "
        "(external ids X, X#2, ...; a shared item), never two to one contributor.",
    )
    appeal_window_days = serializers.IntegerField(
        required=False,
        help_text="0 to 90 (default 7): days after a rejection in which its contributor may appeal it "
        "(0: no appeals).",
    )
    calibration_reviews = serializers.IntegerField(
        required=False, help_text="1 to 20 (default 3): reviewers each calibration plant goes to."
    )
    calibration_every = serializers.IntegerField(
        required=False,
        help_text="1 to 1000 (default 20): at most one calibration plant in every this many "
        "assignments of a reviewer.",
    )


class ProjectUpdateInput(ProjectSettingsInput):
    name = serializers.CharField(max_length=200, required=False)


class ProjectOutput(ModelOutput):
    class Meta:
        model = Project
        fields = [
            "id",
            "name",
            "instructions",
            "rate",
            "currency",
            "review_layers",
            "max_revisions",
            "claim_timeout_minutes",
            "review_timeout_minutes",
            "criteria",
            "reason_codes",
            "required_skills",
            "randomize_order",
            "gold_min_accuracy",
            "gold_min_answers",
            "overlap",
            "appeal_window_days",
            "calibration_reviews",
            "calibration_every",
            "status",
            "created_at",
            "updated_at",
        ]


class ProjectPublicOutput(ModelOutput):
    """What contributors and reviewers see of a project they may work on."""

    class Meta:
        model = Project
        fields = ["id", "name", "instructions", "rate", "currency", "criteria", "required_skills", "status"]


def project_serializer(viewer: Any) -> type[serializers.ModelSerializer]:
    return ProjectOutput if has_role(viewer, Role.OPS) else ProjectPublicOutput


def project_output(project: Project, viewer: Any) -> dict[str, Any]:
    return project_serializer(viewer)(project).data


class SuspensionOutput(ModelOutput):
    """A contributor suspended from claiming in a project by its gold bar (ops)."""

    person = serializers.IntegerField(source="contributor_id")
    gold_accuracy = serializers.SerializerMethodField(
        help_text="gold_correct / gold_answers when suspended, a decimal string (3 places)."
    )
    lifted = serializers.SerializerMethodField()
    lifted_by = serializers.IntegerField(source="lifted_by_id", allow_null=True)

    class Meta:
        model = Suspension
        fields = [
            "id",
            "project",
            "person",
            "since",
            "gold_answers",
            "gold_correct",
            "gold_accuracy",
            "min_accuracy",
            "min_answers",
            "lifted",
            "lifted_at",
            "lifted_by",
        ]

    @extend_schema_field({"type": "string", "format": "decimal", "example": "0.400"})
    def get_gold_accuracy(self, obj: Suspension) -> str:
        return str((Decimal(obj.gold_correct) / Decimal(obj.gold_answers)).quantize(Decimal("0.001")))

    def get_lifted(self, obj: Suspension) -> bool:
        return obj.lifted_at is not None


class ImportResultOutput(serializers.Serializer):
    created = serializers.IntegerField()
    skipped = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.DictField())


# --- tasks -------------------------------------------------------------------------------------------

PRESENTED_SWAPPED_HELP = (
    "Ops only: the contributor's claim showed the import's B as A and its A as B. Ops read "
    "canonical order; the contributor and the reviewers read the order the contributor saw."
)


def reads_canonical_order(viewer: Any, contributor_id: int | None) -> bool:
    """Ops and finance read A and B as imported (and each judgment's ``presented_swapped``);
    everyone else who may read a task, its contributor and its reviewers, reads them in the
    order the contributor's claim presented them, as plain A and B."""
    if not (has_role(viewer, Role.OPS) or has_role(viewer, Role.FINANCE)):
        return False
    return contributor_id is None or contributor_id != getattr(viewer, "pk", None)


class _SeesContributor:
    """The contributor's id for ops and for the contributor; reviewers see only a pseudonym."""

    def _contributor_id(self, obj: Any) -> int | None:
        viewer = self.context.get("viewer")  # type: ignore[attr-defined]
        if has_role(viewer, Role.OPS) or (viewer is not None and obj.contributor_id == viewer.pk):
            return obj.contributor_id
        return None


class SubmissionOutput(_SeesContributor, ModelOutput):
    contributor = serializers.SerializerMethodField()
    contributor_pseudonym = serializers.SerializerMethodField()

    class Meta:
        model = Submission
        fields = [
            "id",
            "task",
            "version",
            "contributor",
            "contributor_pseudonym",
            "preference",
            "strength",
            "scores",
            "rationale",
            "time_spent_minutes",
            "layer",
            "submitted_at",
            "presented_swapped",
        ]
        extra_kwargs = {"presented_swapped": {"required": False, "help_text": PRESENTED_SWAPPED_HELP}}

    def to_representation(self, instance: Submission) -> dict[str, Any]:
        data = super().to_representation(instance)
        if reads_canonical_order(self.context.get("viewer"), instance.contributor_id):
            return data
        del data["presented_swapped"]
        if instance.presented_swapped:
            data["preference"] = swapped_preference(instance.preference)
            data["scores"] = swapped_scores(instance.scores)
        return data

    def get_contributor(self, obj: Submission) -> int | None:
        return self._contributor_id(obj)

    def get_contributor_pseudonym(self, obj: Submission) -> str | None:
        return author_pseudonym(obj.contributor_id, plant_id=obj.task_id)


class TaskRoundOutput(ModelOutput):
    """A decided review round: what was decided and why, never who reviewed."""

    class Meta:
        model = TaskRound
        fields = ["layer", "kind", "decision", "feedback", "reasons", "decided_at"]


class TaskOutput(_SeesContributor, ModelOutput):
    contributor = serializers.SerializerMethodField()
    contributor_pseudonym = serializers.SerializerMethodField()
    current_submission = serializers.SerializerMethodField()
    rounds = serializers.SerializerMethodField(
        help_text="Every decided review round, oldest first: for the task's contributor and ops "
        "(null for its reviewers)."
    )

    class Meta:
        model = Task
        fields = [
            "id",
            "project",
            "external_id",
            "item",
            "status",
            "layer",
            "contributor",
            "contributor_pseudonym",
            "prompt",
            "context",
            "response_a",
            "response_b",
            "tags",
            "priority",
            "rate",
            "currency",
            "current_submission",
            "rounds",
            "claim_expires_at",
            "created_at",
            "updated_at",
        ]

    def to_representation(self, instance: Task) -> dict[str, Any]:
        data = super().to_representation(instance)
        viewer = self.context.get("viewer")
        if instance.presented_swapped and not reads_canonical_order(viewer, instance.contributor_id):
            data["response_a"], data["response_b"] = data["response_b"], data["response_a"]
        if instance.calibration and viewer is not None:
            shown = getattr(instance, "shown_status", None)  # read with the list, in its query
            data["status"], data["layer"] = (
                (shown, instance.shown_layer) if shown is not None else plant_as_read_by(viewer.pk, instance)
            )
        return data

    def get_contributor(self, obj: Task) -> int | None:
        return self._contributor_id(obj)

    def get_contributor_pseudonym(self, obj: Task) -> str | None:
        return author_pseudonym(obj.contributor_id, plant_id=obj.id if obj.calibration else None)

    def get_current_submission(self, obj: Task) -> dict[str, Any] | None:
        if obj.current_submission is None:
            return None
        return SubmissionOutput(obj.current_submission, context=self.context).data

    @extend_schema_field(TaskRoundOutput(many=True, allow_null=True))
    def get_rounds(self, obj: Task) -> list[dict[str, Any]] | None:
        if not sees_rounds(self.context.get("viewer"), obj):
            return None
        return TaskRoundOutput(obj.rounds.all(), many=True).data


class GoldOutput(ModelOutput):
    class Meta:
        model = GoldTask
        fields = ["preference", "explanation"]


@extend_schema_field(GoldOutput(allow_null=True))
class GoldAnswerField(serializers.Field):
    """A gold task's gold answer, or null: output only. A field of its own rather than a method
    field, which the schema would mark required (read-only), while only ops' answers carry it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="*", required=False, **kwargs)

    def to_representation(self, task: Task) -> dict[str, Any] | None:
        try:
            gold = task.gold  # type: ignore[attr-defined]
        except GoldTask.DoesNotExist:
            return None
        return GoldOutput(gold).data


class TaskOpsOutput(TaskOutput):
    """Ops also see which model wrote which answer, the current claim's presentation order, and
    a gold task's gold answer."""

    gold = GoldAnswerField(
        help_text="Ops only (absent for anyone else): the gold answer of a gold task "
        "(canonical order), null for any other task.",
    )

    class Meta(TaskOutput.Meta):
        fields = [*TaskOutput.Meta.fields, "model_a", "model_b", "presented_swapped", "gold"]
        # Endpoints answer this shape or TaskOutput by who asks: these fields are optional.
        extra_kwargs = {
            **{
                name: {"required": False, "help_text": "Ops only: absent for anyone else."}
                for name in ("model_a", "model_b")
            },
            "presented_swapped": {
                "required": False,
                "help_text": "Ops only: the current claim shows the import's B as A and its A as B "
                "(false while the task is open).",
            },
        }


def sees_model_names(viewer: Any, task: Any = None) -> bool:
    """Which model wrote which answer is for ops, and never for someone who works on the task
    (separation of duties keeps work roles off ops; this holds even if a row says otherwise)."""
    if not has_role(viewer, Role.OPS):
        return False
    if task is None:  # a list: only for someone who works on no task at all
        return not (has_role(viewer, Role.CONTRIBUTOR) or has_role(viewer, Role.REVIEWER))
    return task.contributor_id != getattr(viewer, "pk", None)


def task_serializer(viewer: Any, task: Any = None) -> type[TaskOutput]:
    """The shape of a task for this viewer: for a list, by role; for one task, by what the
    viewer may see of that task."""
    return TaskOpsOutput if sees_model_names(viewer, task) else TaskOutput


# --- inputs ------------------------------------------------------------------------------------------


class ClaimInput(StrictInput):
    project = serializers.UUIDField(required=False, help_text="Only claim from this project.")


class ReasonInput(StrictInput):
    reason = serializers.CharField(max_length=2000)


class AppealInput(StrictInput):
    reason = serializers.CharField(
        max_length=5000, help_text="Why the rejection was wrong: at least 50 characters."
    )


class JudgmentInput(serializers.Serializer):
    """Documents the submission body; the domain checks it (``tasks.domain.judgment``)."""

    preference = serializers.ChoiceField(choices=PREFERENCES)
    strength = serializers.IntegerField(min_value=1, max_value=3, required=False, allow_null=True)
    scores = serializers.DictField(
        child=serializers.DictField(child=serializers.IntegerField(min_value=1, max_value=5)),
        help_text='{"correctness": {"a": 4, "b": 2}, ...} for every project criterion',
    )
    rationale = serializers.CharField(min_length=50, max_length=MAX_RATIONALE)
    time_spent_minutes = serializers.IntegerField(min_value=1, max_value=1440)


@extend_schema_field({"type": "integer", "nullable": True})
class _ActorField(serializers.IntegerField):
    """Absent for a contributor; for ops, null when the system acted (a claim expired...)."""


class TaskEventOutput(serializers.Serializer):
    position = serializers.IntegerField()
    version = serializers.IntegerField()
    type = serializers.CharField()
    recorded_at = serializers.DateTimeField()
    data = serializers.DictField()
    actor = _ActorField(required=False, help_text="Ops only: who acted (null: the system).")


TASK_STATUSES = [status.value for status in TaskStatus]
