"""Read tables of the tasks app: projections of project and task streams, written only by
``tasks.projections``. Primary keys come from the events, so a rebuild gives identical rows."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from marlin.fields import LargeTextField


class Project(models.Model):
    id = models.UUIDField(primary_key=True)
    name = models.CharField(max_length=200)
    instructions = models.TextField(blank=True)
    rate = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    review_layers = models.PositiveSmallIntegerField()
    max_revisions = models.PositiveSmallIntegerField()
    claim_timeout_minutes = models.PositiveIntegerField()
    review_timeout_minutes = models.PositiveIntegerField()
    criteria = models.JSONField()
    reason_codes = models.JSONField()
    required_skills = models.JSONField()
    randomize_order = models.BooleanField(
        default=True, help_text="Each claim draws the order in which it presents A and B."
    )
    gold_min_accuracy = models.DecimalField(
        max_digits=4, decimal_places=3, null=True, help_text="The gold bar; null: off."
    )
    gold_min_answers = models.PositiveSmallIntegerField(default=5)
    overlap = models.PositiveSmallIntegerField(
        default=1, help_text="Sibling tasks made of each item imported from now on, one per contributor."
    )
    appeal_window_days = models.PositiveSmallIntegerField(
        default=7, help_text="Days after a rejection in which its contributor may appeal it (0: never)."
    )
    calibration_reviews = models.PositiveSmallIntegerField(
        default=3, help_text="Reviewers each calibration plant goes to, at most."
    )
    calibration_every = models.PositiveSmallIntegerField(
        default=20, help_text="At most one plant in every this many assignments of a reviewer."
    )
    status = models.CharField(max_length=16)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class ProjectRequiredSkill(models.Model):
    pk = models.CompositePrimaryKey("project_id", "skill")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="skill_rows")
    skill = models.CharField(max_length=40)

    def __str__(self) -> str:
        return f"{self.project_id}:{self.skill}"


class SubmissionManager(models.Manager["Submission"]):
    """Contributors' submissions: a calibration plant's prepared one (no contributor) is left out,
    so no report, list or count shows it. Its reviewers' reads use ``all_objects``."""

    def get_queryset(self) -> models.QuerySet[Submission]:
        return super().get_queryset().filter(contributor__isnull=False)


class Submission(models.Model):
    id = models.UUIDField(primary_key=True)
    task = models.ForeignKey("Task", on_delete=models.CASCADE, related_name="submissions")
    contributor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        help_text="Null only for a calibration plant's prepared submission.",
    )
    version = models.PositiveSmallIntegerField()
    preference = models.CharField(max_length=3)
    strength = models.PositiveSmallIntegerField(null=True)
    scores = models.JSONField()
    rationale = models.TextField()
    time_spent_minutes = models.PositiveSmallIntegerField()
    layer = models.PositiveSmallIntegerField(help_text="The review layer it entered.")
    presented_swapped = models.BooleanField(
        default=False,
        help_text="Its contributor was shown B as A and A as B (preference and scores are stored canonical).",
    )
    submitted_at = models.DateTimeField()

    all_objects = models.Manager()  # plants included
    objects = SubmissionManager()

    class Meta:
        default_manager_name = "objects"
        ordering = ["task_id", "version"]
        constraints = [models.UniqueConstraint(fields=["task", "version"], name="submission_task_version")]

    def __str__(self) -> str:
        return f"{self.task_id} v{self.version}"


class TaskManager(models.Manager["Task"]):
    """Tasks without calibration plants: every list, count, report and command that reads tasks
    leaves the plants out unless it asks for them (``all_objects``), as only a plant's own
    reviewers' reads do."""

    def get_queryset(self) -> models.QuerySet[Task]:
        return super().get_queryset().filter(calibration=False)


class Task(models.Model):
    id = models.UUIDField(primary_key=True)
    # No index of their own on these foreign keys: the composite and partial indexes below lead
    # with them, and every index is paid for by every row an import writes.
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="tasks", db_index=False)
    external_id = models.CharField(max_length=210)  # an import's 200, and room for a sibling's "#n"
    item = models.CharField(
        max_length=200, help_text="The imported item's external id, shared by its sibling tasks (overlap)."
    )
    status = models.CharField(max_length=20)
    layer = models.PositiveSmallIntegerField(null=True)
    contributor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", db_index=False
    )
    prompt = LargeTextField()
    context = LargeTextField(blank=True)
    response_a = LargeTextField()
    response_b = LargeTextField()
    model_a = models.CharField(max_length=200)
    model_b = models.CharField(max_length=200)
    tags = models.JSONField(default=list)
    priority = models.IntegerField(default=0)
    rate = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    current_submission = models.ForeignKey(
        Submission, on_delete=models.SET_NULL, null=True, related_name="+", db_index=False
    )
    claimed_at = models.DateTimeField(null=True)
    claim_expires_at = models.DateTimeField(null=True)
    presented_swapped = models.BooleanField(
        default=False, help_text="The current claim shows B as A and A as B (false while open)."
    )
    revisions = models.PositiveSmallIntegerField(default=0, help_text="Requests for changes so far.")
    finished_at = models.DateTimeField(null=True, help_text="When it was approved, rejected or cancelled.")
    import_row = models.PositiveIntegerField()
    calibration = models.BooleanField(
        default=False, help_text="A calibration plant: seen only by the reviewers it is given to."
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    all_objects = models.Manager()  # plants included
    objects = TaskManager()

    class Meta:
        default_manager_name = "objects"
        ordering = ["-priority", "created_at", "import_row", "id"]
        constraints = [
            # A plant's external id is ops' own name for it; it never collides with a task's.
            models.UniqueConstraint(
                fields=["project", "external_id", "calibration"], name="task_project_external_id"
            ),
        ]
        indexes = [
            # The open claim queue in claim order (tasks.selectors.claimable_tasks): a claim reads
            # the first unlocked row of the index, never sorting the open set.
            models.Index(
                fields=["-priority", "created_at", "import_row", "id"],
                condition=models.Q(status="open"),
                name="task_open_queue",
            ),
            models.Index(
                fields=["project", "-priority", "created_at", "import_row", "id"],
                condition=models.Q(status="open"),
                name="task_open_queue_by_project",
            ),
            # Partial: an open task (every imported one) has no contributor, no claim and no
            # submission, so it enters none of these three.
            models.Index(
                fields=["contributor", "status"],
                condition=models.Q(contributor__isnull=False),
                name="task_by_contributor",
            ),
            # On the expiry, not the status: a claim sets it and every way out of a claim clears
            # it. Keyed on ``status = 'claimed'``, this index matched "the task this person holds"
            # as well, and on statistics from before the claims (right after an import) the
            # planner scanned every claim in force for it, twice a claim, instead of probing
            # task_by_contributor.
            models.Index(
                fields=["claim_expires_at"],
                condition=models.Q(claim_expires_at__isnull=False),
                name="task_claim_expiry",
            ),
            models.Index(
                fields=["current_submission"],
                condition=models.Q(current_submission__isnull=False),
                name="task_current_submission",
            ),
            models.Index(fields=["project", "status", "layer"], name="task_by_project_state"),
            # A claim skips the siblings of an item the contributor already has a task of: one
            # probe per candidate. Partial like task_by_contributor: imports pay nothing for it.
            models.Index(
                fields=["contributor", "project", "item"],
                condition=models.Q(contributor__isnull=False),
                name="task_item_by_contributor",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.external_id} ({self.status})"


class TaskReviewer(models.Model):
    """A reviewer who holds, or has decided, a review of the task: the task is theirs to read.

    The tasks app's own projection of the review events on the task stream, so task visibility
    needs nothing from the reviews app. An assignment that expires, is taken away or is cancelled
    with its task no longer opens the task: its row is deleted.
    """

    assignment_id = models.UUIDField(primary_key=True)
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="+")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["reviewer", "task"], name="task_reviewer_lookup")]

    def __str__(self) -> str:
        return f"{self.task_id} -> {self.reviewer_id}"


class TaskRound(models.Model):
    """A decided review round of the task, as its contributor reads it: what was decided and why,
    never who reviewed.

    The tasks app's own projection of ``ReviewDecided`` on the task stream (like ``TaskReviewer``),
    so the contributor's task detail needs nothing from the reviews app. A decided round stays,
    whatever happens to the task later. ``version`` (the decision's place in the task's stream)
    orders them.
    """

    assignment_id = models.UUIDField(primary_key=True)
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="rounds")
    layer = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, default="review", help_text="review, or appeal.")
    decision = models.CharField(max_length=20)
    feedback = models.TextField(blank=True, default="")
    reasons = models.JSONField(default=list)
    decided_at = models.DateTimeField()
    version = models.PositiveIntegerField(help_text="The decision's version in the task's stream.")

    class Meta:
        ordering = ["task_id", "version"]
        indexes = [models.Index(fields=["task", "version"], name="task_round_by_task")]

    def __str__(self) -> str:
        return f"{self.task_id} L{self.layer} {self.decision}"


# --- gold tasks ----------------------------------------------------------------------------------------


class GoldTask(models.Model):
    """The gold answer of a gold task (from its ``TaskImported``). A table of its own, never a
    column of ``Task``: nothing that serializes a task for contributors or reviewers can reach it,
    and only ops' views read it."""

    task = models.OneToOneField(Task, on_delete=models.CASCADE, primary_key=True, related_name="gold")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", db_index=False)
    preference = models.CharField(max_length=3)
    explanation = models.TextField()

    def __str__(self) -> str:
        return f"{self.task_id} gold {self.preference}"


class GoldTally(models.Model):
    """A contributor's gold answers in a project: all of them, and those since their last lift
    (the window the suspension rule counts). Kept by ``GoldScored`` and ``SuspensionLifted``."""

    id = models.UUIDField(primary_key=True, help_text="Derived from the project and contributor.")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", db_index=False)
    contributor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    answers = models.PositiveIntegerField(default=0)
    correct = models.PositiveIntegerField(default=0)
    window_answers = models.PositiveIntegerField(default=0)
    window_correct = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "contributor"], name="gold_tally_project_contributor")
        ]

    def __str__(self) -> str:
        return f"{self.project_id}:{self.contributor_id} {self.correct}/{self.answers}"


class Suspension(models.Model):
    """A contributor suspended from claiming in a project, and whether ops lifted it."""

    id = models.UUIDField(primary_key=True)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", db_index=False)
    contributor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    since = models.DateTimeField()
    gold_answers = models.PositiveIntegerField()
    gold_correct = models.PositiveIntegerField()
    min_accuracy = models.DecimalField(max_digits=4, decimal_places=3)
    min_answers = models.PositiveSmallIntegerField()
    lifted_at = models.DateTimeField(null=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", db_index=False
    )

    class Meta:
        ordering = ["-since", "id"]
        constraints = [
            # At most one suspension in force per person and project; also the claim's lookup.
            models.UniqueConstraint(
                fields=["project", "contributor"],
                condition=models.Q(lifted_at__isnull=True),
                name="suspension_in_force",
            )
        ]
        indexes = [models.Index(fields=["project", "since"], name="suspension_by_project")]

    def __str__(self) -> str:
        return f"{self.project_id}:{self.contributor_id} since {self.since}"


# --- appeals -----------------------------------------------------------------------------------------


class Appeal(models.Model):
    """A contributor's appeal of their task's rejection (one per task) and its outcome: the
    quality reports count them, and the appeal's reviewer reads the reason."""

    task = models.OneToOneField(Task, on_delete=models.CASCADE, primary_key=True, related_name="appeal")
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="+", db_index=False)
    contributor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    reason = models.TextField()
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        db_index=False,
        help_text="The reviewer whose rejection was appealed; null for a gold score.",
    )
    filed_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", db_index=False
    )
    overturned = models.BooleanField(null=True, help_text="Null while the appeal waits for its decision.")
    decided_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["filed_at", "task_id"]
        indexes = [
            models.Index(fields=["project", "contributor"], name="appeal_by_contributor"),
            models.Index(fields=["project", "rejected_by"], name="appeal_by_rejecter"),
        ]

    def __str__(self) -> str:
        return f"appeal of {self.task_id}"


# --- calibration plants --------------------------------------------------------------------------------


class CalibrationPlant(models.Model):
    """What a plant deserves, for ops and the reports; ``reviews`` counts its reviews pending or
    decided, against the project's ``calibration_reviews``."""

    task = models.OneToOneField(Task, on_delete=models.CASCADE, primary_key=True, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="+", db_index=False)
    layer = models.PositiveSmallIntegerField()
    expected_decision = models.CharField(max_length=20)
    expected_reasons = models.JSONField(default=list)
    explanation = models.TextField()
    reviews = models.PositiveSmallIntegerField(default=0)
    planted_at = models.DateTimeField()

    class Meta:
        ordering = ["planted_at", "task_id"]
        indexes = [models.Index(fields=["project", "layer"], name="plant_by_project_layer")]

    def __str__(self) -> str:
        return f"plant {self.task_id} L{self.layer} ({self.expected_decision})"


class CalibrationScore(models.Model):
    """One reviewer's decision on one plant, scored."""

    assignment_id = models.UUIDField(primary_key=True)
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="+", db_index=False)
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="+", db_index=False)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    decision = models.CharField(max_length=20)
    expected_decision = models.CharField(max_length=20)
    caught = models.BooleanField()
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["decided_at", "assignment_id"]
        indexes = [models.Index(fields=["project", "reviewer"], name="score_by_reviewer")]

    def __str__(self) -> str:
        return f"{self.reviewer_id} on plant {self.task_id}: {'caught' if self.caught else 'missed'}"
