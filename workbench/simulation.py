"""``manage.py simulate``: drive a realistic workload through every path of the workflow.

Contributors claim, release, let claims expire, submit (sometimes invalid judgments first) and
revise; reviewers approve, ask for changes, reject or let reviews expire; ops cancel, reverse
approvals, deactivate and add reviewers; finance closes past weeks and pays statements. Time runs
on a pinned clock from three weeks ago, so claims and reviews expire and pay periods roll over.
Everything goes through the same commands the API calls, and the reactors run as the workers
would. At the end it prints what happened and runs the integrity checks.

Quality control has people to find. One task in four is gold (a clear-cut item: its better answer
known, with an explanation), and each project has a gold bar (70% over at least 4 answers). One
contributor in twenty (at least one) is *position-biased*: on close calls they prefer the answer
shown first (gold items, being clear-cut, they get right, so only the order can give them away).
Another one in twenty (when there are two or more contributors) is *careless*: they pick without
reading, a tie half the time, in a few minutes. Both work fast. Everyone else judges the content,
whatever order a claim drew. The run ends by checking that the quality report flags position
bias on exactly the biased contributors it can measure (20 non-tie judgments), the gold bar on
every careless one who answered 12 gold tasks, and nobody it did not plant. Claims draw their order
from the run's seed, so a seed replays the same run (ops' random picks aside).

Items overlap (``overlap`` sibling tasks each, 2 by default): each item has a better answer that a
careful judge gives nine times in ten, so careful judges of one item mostly agree, and the run
checks that careless contributors' pairs agree less often than careful ones' (pooled, where both
have 15 pairs and the planted are at most a quarter of those judged). Each item pits two of
four models against each other, and one of them is planted strong (its answer is the better one
three times in four): once it has 40 approved judgments in a project, the run checks that the
leaderboard ranks it first (where at most a quarter of the project's judges were planted).

Contributors appeal three in ten of their rejections; an appeal's reviewer overturns half of
them. The run checks that each overturned appeal accrued exactly once and that the quality
reports count the appeals filed, won, and overturned against the reviewer who rejected.
"""

from __future__ import annotations

import math
import random
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from marlin import checks, reactors
from marlin.eventstore.models import Event
from marlin.kernel import chance, clock
from marlin.kernel.errors import DomainError, InvalidInput
from marlin.kernel.money import from_cents
from payments.commands import period_close, statement_mark_paid
from payments.models import PayoutEntry, Statement
from payments.periods import period_end
from people.commands import person_register, person_update
from people.models import User
from quality import domain as quality_domain
from quality.reports import leaderboard_json
from quality.selectors import agreement_tallies, contributor_rows, project_agreement, reviewer_rows
from reviews.commands import review_decide
from reviews.jobs import expire_overdue_reviews_job
from reviews.models import ReviewAssignment
from tasks.calibration import calibration_plant
from tasks.commands import (
    project_create,
    task_appeal,
    task_cancel,
    task_claim,
    task_release,
    task_reverse_approval,
    task_submit,
)
from tasks.domain.task import sibling_external_ids, task_id_for
from tasks.importing import task_import
from tasks.jobs import expire_stale_claims_job
from tasks.models import Appeal, CalibrationPlant, CalibrationScore, Task
from tasks.selectors import first_position_rates

PASSWORD = "simulated-passphrase"


@dataclass
class Tally:
    """What the simulation did, and what was refused (refusals are part of a realistic run)."""

    done: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)

    def attempt(self, name: str, action: Callable[[], Any]) -> Any:
        try:
            result = action()
        except InvalidInput:
            self.refused[f"{name} (invalid input)"] += 1
            return None
        except DomainError as refusal:
            self.refused[f"{name} ({refusal.code})"] += 1
            return None
        self.done[name] += 1
        return result


@dataclass
class Simulation:
    contributors: int = 40
    reviewers: int = 12
    tasks: int = 400
    overlap: int = 2  # each item imported as this many sibling tasks (``tasks`` counts tasks)
    seed: int = 7
    rounds: int = 400
    projects: int = 1
    progress: Callable[[int], None] | None = None
    tally: Tally = field(default_factory=Tally)

    def run(self) -> tuple[list[str], bool]:
        self.random = random.Random(self.seed)
        with chance.drawn_from(random.Random(self.seed + 1)):
            return self._run()

    def _run(self) -> tuple[list[str], bool]:
        # The simulated days end now, so the dashboard's trends of the last 7 and 30 days show them.
        self.started = self.moment = clock.now().replace(microsecond=0) - ROUND * self.rounds
        with clock.pinned_at(self.moment):
            self._set_up()
        for _ in range(self.rounds):
            self.moment += ROUND
            with clock.pinned_at(self.moment):
                self._round()
            if self.progress is not None:
                self.progress(1)
            if self._all_final():
                break
        with clock.pinned_at(clock.now()):
            self._finance()
        return self._report()

    # --- set-up ---------------------------------------------------------------------------------

    def _set_up(self) -> None:
        run = uuid.uuid4().hex[:6]
        self.ops = self._person(f"sim-{run}-ops", ["ops"])
        self.finance = self._person(f"sim-{run}-finance", ["finance"])
        self.people = [self._person(f"sim-{run}-c{i}", ["contributor"]) for i in range(self.contributors)]
        # The last one in twenty (at least one) always prefers the answer shown first; the first one
        # in twenty (with two or more contributors) picks without reading.
        planted = max(1, self.contributors // 20)
        self.position_biased = {person.pk for person in self.people[-planted:]}
        self.careless = {person.pk for person in self.people[: planted if self.contributors > 1 else 0]}
        self.reviewer_ids = [
            self._person(f"sim-{run}-r{i}", ["reviewer"], reviewer_level=_reviewer_level(i), capacity=4).pk
            for i in range(self.reviewers)
        ]
        # One reviewer in six (with two or more) approves everything unread: calibration finds them.
        self.careless_reviewers = set(
            self.reviewer_ids[1 : 1 + self.reviewers // 6] if self.reviewers > 1 else []
        )
        self.projects_made = [
            project_create(
                actor_id=self.ops.pk, fields=_project_fields(run, index, self.projects, self.overlap)
            )
            for index in range(self.projects)
        ]
        self.criteria = {project.id: project.criteria for project in self.projects_made}
        self.appeals_considered: set[Any] = set()  # rejected tasks their contributor has read
        self.gold_of: dict[Any, str] = {}  # task -> its gold preference (canonical)
        self.better: dict[str, str] = {}  # item -> the preference a careful reader gives it (canonical)
        items = max(1, self.tasks // self.overlap)
        for index, project in enumerate(self.projects_made):
            numbers = range(index + 1, items + 1, self.projects)  # the items dealt out in turn
            rows = [(row, self._task_row(i)) for row, i in enumerate(numbers, start=1)]
            self.gold_of.update(
                (task_id_for(project.id, external_id), row["gold"]["preference"])
                for _, row in rows
                if "gold" in row
                for external_id in sibling_external_ids(row["external_id"], self.overlap)
            )
            self.tally.attempt(
                "import tasks",
                lambda p=project, r=rows: task_import(actor_id=self.ops.pk, project_id=p.id, rows=r),
            )
            plants = [(n, self._plant_row(project, n)) for n in range(1, max(3, len(rows) // 10) + 1)]
            self.tally.attempt(
                "plant calibration",
                lambda p=project, r=plants: calibration_plant(actor_id=self.ops.pk, project_id=p.id, rows=r),
            )

    def _plant_row(self, project: Any, n: int) -> dict[str, Any]:
        """A prepared submission: two in three deserve rejection (its scores contradict its pick),
        the rest approval."""
        deserves = "approve" if n % 3 == 0 else "reject"
        judgment = self._judgment(project.id, "A")
        if deserves == "reject":
            judgment["scores"] = {name: {"a": 1, "b": 5} for name in judgment["scores"]}
        return {
            "external_id": f"plant-{n}",
            "prompt": f"Implement feature p{n} in Python.",
            "context": "",
            "response_a": f"def feature_p{n}(x):\n    return x * {n}",
            "response_b": f"def feature_p{n}(x):\n    return {n} * x + 0",
            "model_a": MODELS[n % len(MODELS)],
            "model_b": MODELS[(n + 1) % len(MODELS)],
            "layer": 1,
            "submission": judgment,
            "expected_decision": deserves,
            "expected_reasons": [] if deserves == "approve" else ["inconsistent_scores"],
            "explanation": "Every score favours B, yet the pick is A."
            if deserves == "reject"
            else "A consistent, well-argued judgment.",
        }

    def _task_row(self, i: int) -> dict[str, Any]:
        gold = {}
        model_a, model_b = self.random.sample(MODELS, 2)
        self.better[f"sim-{i}"] = self._better_answer(model_a, model_b)
        if i % GOLD_EVERY == 0:
            better = self.random.choice("AB")
            gold = {
                "gold": {
                    "preference": better,
                    "explanation": f"Only {better} handles x < 0, which the prompt names.",
                }
            }
        return {
            **gold,
            "external_id": f"sim-{i}",
            "prompt": f"Implement feature {i} in Python.",
            "response_a": f"def feature_{i}(x):\n    return x + {i}",
            "response_b": f"def feature_{i}(x):\n    return {i} - x",
            "model_a": model_a,
            "model_b": model_b,
            "priority": self.random.choice([0, 0, 5]),
        }

    def _better_answer(self, model_a: str, model_b: str) -> str:
        """The answer a careful reader prefers: the strong model's three times in four when it is
        one of the two (a tie one time in ten), else A or B alike (a tie one time in five)."""
        roll = self.random.random()
        if STRONG_MODEL in (model_a, model_b):
            strong, weak = ("A", "B") if model_a == STRONG_MODEL else ("B", "A")
            return strong if roll < 0.75 else (weak if roll < 0.9 else "tie")
        return "A" if roll < 0.4 else ("B" if roll < 0.8 else "tie")

    def _person(self, username: str, roles: list[str], **fields: Any) -> User:
        return person_register(
            actor_id=None,
            username=username,
            password=PASSWORD,
            email=f"{username}@sim.example",
            name=username.replace("-", " ").title(),
            roles=roles,
            **fields,
        )

    # --- one round: 45 minutes of work ------------------------------------------------------------

    def _round(self) -> None:
        self._contributors_work()
        self._appeals()
        self._settle()
        self._reviewers_work()
        self._ops_work()
        self.tally.done["claims expired"] += expire_stale_claims_job()
        self.tally.done["reviews expired"] += expire_overdue_reviews_job()
        self._settle()

    def _settle(self) -> None:
        while reactors.pump_all():
            pass

    def _contributors_work(self) -> None:
        for person in self.people:
            held = Task.objects.filter(
                contributor_id=person.pk, status__in=["claimed", "changes_requested"]
            ).first()
            hasty = person.pk in self.position_biased or person.pk in self.careless
            if held is None:
                if hasty or self.random.random() < 0.6:
                    held = self.tally.attempt(
                        "claim",
                        lambda p=person: task_claim(contributor_id=p.pk, project_id=self._some_project()),
                    )
                if held is None or not hasty:
                    continue
                held = Task.objects.get(pk=held.id)  # a hasty judge submits in the round they claim
            roll = self.random.random()
            if held.status == "claimed" and roll < 0.04:
                self.tally.attempt(
                    "release",
                    lambda h=held, p=person: task_release(contributor_id=p.pk, task_id=h.id),
                )
            elif roll < 0.12:
                continue  # busy elsewhere; long enough and the claim expires
            else:
                if self.random.random() < 0.05:
                    self.tally.attempt(
                        "submit",
                        lambda h=held, p=person: task_submit(
                            contributor_id=p.pk,
                            task_id=h.id,
                            judgment={**self._judgment(h.project_id), "rationale": "too short"},
                        ),
                    )
                name = "revise" if held.status == "changes_requested" else "submit"
                self.tally.attempt(
                    name,
                    lambda h=held, p=person: task_submit(
                        contributor_id=p.pk, task_id=h.id, judgment=self._judgment_of(p, h)
                    ),
                )

    def _appeals(self) -> None:
        """Contributors read their new rejections, and appeal ``APPEAL_CHANCE`` of them (once each,
        the round after: well within the window). A reversed approval's appeal is refused."""
        rejected = (
            Task.objects.filter(project__in=self.projects_made, status="rejected")
            .exclude(pk__in=self.appeals_considered)
            .order_by("pk")
            .values_list("pk", "contributor_id")
        )
        for task_id, contributor_id in list(rejected):
            self.appeals_considered.add(task_id)
            if self.random.random() < APPEAL_CHANCE:
                self.tally.attempt(
                    "appeal",
                    lambda t=task_id, c=contributor_id: task_appeal(
                        contributor_id=c, task_id=t, reason=APPEAL_REASON
                    ),
                )

    def _some_project(self) -> Any:
        """One project's queue, at random: a claim in it is refused when it is empty, as for
        a person who asks there."""
        return self.random.choice(self.projects_made).id

    def _judgment_of(self, person: User, task: Task) -> dict[str, Any]:
        """What ``person`` sends for the task as their claim shows it. A position-biased judge
        prefers whatever is shown first; everyone else judges the content, whichever order the
        claim drew: the item's better answer (``_better_answer``) nine times in ten, so careful
        judges of one item mostly agree."""
        honest = self.better[task.item] if self.random.random() < HONEST_AGREEMENT else None
        body = self._judgment(task.project_id, honest)
        gold = self.gold_of.get(task.id)
        if person.pk in self.position_biased and gold is None:  # a clear-cut gold item they get right
            return {**body, "preference": "A", "strength": body.get("strength", 2)}
        if person.pk in self.careless:
            pick = self.random.choice(["tie", "tie", "A", "B"])
            careless = {key: value for key, value in body.items() if key != "strength"}
            careless.update(preference=pick, time_spent_minutes=3)
            if pick != "tie":
                careless["strength"] = 1
            return careless
        if gold is not None:  # a clear-cut item: whoever reads it gets it right
            body["preference"] = gold
            body.setdefault("strength", 3)
        if task.presented_swapped and body["preference"] != "tie":
            body["preference"] = "B" if body["preference"] == "A" else "A"
        return body

    def _judgment(self, project_id: Any, preference: str | None = None) -> dict[str, Any]:
        """A judgment of ``preference`` (canonical), or of one drawn at random."""
        preference = preference or self.random.choice(["A", "A", "B", "tie"])
        body: dict[str, Any] = {
            "preference": preference,
            "scores": {
                c: {"a": self.random.randint(1, 5), "b": self.random.randint(1, 5)}
                for c in self.criteria[project_id]
            },
            "rationale": "A handles the edge cases the prompt names and B does not; B allocates per call.",
            "time_spent_minutes": self.random.randint(30, 90),
        }
        if preference != "tie":
            body["strength"] = self.random.randint(1, 3)
        return body

    def _reviewers_work(self) -> None:
        pending = ReviewAssignment.all_objects.filter(
            status="pending", reviewer_id__in=self.reviewer_ids
        ).order_by("assigned_at", "id")
        for review in list(pending):
            roll = self.random.random()
            careless = review.reviewer_id in self.careless_reviewers
            if roll < 0.12 and not careless:
                continue  # not now: left long enough, it expires and goes to someone else
            decision: dict[str, Any] = {"decision": "approve"}
            if careless:
                pass  # approves whatever comes, unread
            elif review.calibration:  # a careful reviewer reads it, and nine times in ten sees it right
                expected = CalibrationPlant.objects.get(pk=review.task_id).expected_decision
                if expected != "approve" and self.random.random() < 0.9:
                    decision = {
                        "decision": "reject",
                        "feedback": "Every score favours B, yet the pick is A.",
                        "reasons": ["inconsistent_scores"],
                    }
            elif review.kind == "appeal":  # approve overturns, reject upholds; nothing in between
                if self.random.random() >= APPEAL_OVERTURN:
                    decision = {
                        "decision": "reject",
                        "feedback": "The rejection stands: the scores contradict the pick.",
                        "reasons": ["inconsistent_scores"],
                    }
            elif roll < 0.28:
                decision = {
                    "decision": "request_changes",
                    "feedback": "Justify the strength.",
                    "reasons": ["weak_rationale"],
                }
            elif roll < 0.35:
                decision = {
                    "decision": "reject",
                    "feedback": "Scores contradict the pick.",
                    "reasons": ["inconsistent_scores"],
                }
            made = self.tally.attempt(
                decision["decision"],
                lambda r=review, d=decision: review_decide(
                    reviewer_id=r.reviewer_id, assignment_id=r.id, sees_every_review=False, **d
                ),
            )
            if made is None and decision["decision"] == "request_changes":
                self.tally.attempt(
                    "approve",
                    lambda r=review: review_decide(
                        reviewer_id=r.reviewer_id,
                        assignment_id=r.id,
                        decision="approve",
                        sees_every_review=False,
                    ),
                )

    def _ops_work(self) -> None:
        roll = self.random.random()
        if roll < 0.03:
            task = Task.objects.filter(project__in=self.projects_made, status="open").order_by("?").first()
            if task is not None:
                self.tally.attempt(
                    "cancel",
                    lambda: task_cancel(actor_id=self.ops.pk, task_id=task.id, reason="duplicate prompt"),
                )
        elif roll < 0.07:
            task = (
                Task.objects.filter(project__in=self.projects_made, status="approved").order_by("?").first()
            )
            if task is not None:
                self.tally.attempt(
                    "reverse approval",
                    lambda: task_reverse_approval(
                        actor_id=self.ops.pk, task_id=task.id, reason="approved a wrong pick"
                    ),
                )
        elif roll < 0.075 and len(self.reviewer_ids) > 2:
            leaving = self.reviewer_ids.pop(self.random.randrange(len(self.reviewer_ids)))
            self.tally.attempt(
                "deactivate reviewer",
                lambda: person_update(actor_id=self.ops.pk, user_id=leaving, fields={"active": False}),
            )
            newcomer = self._person(
                f"sim-{uuid.uuid4().hex[:6]}-r", ["reviewer"], reviewer_level=2, capacity=4
            )
            self.reviewer_ids.append(newcomer.pk)
            self.tally.done["add reviewer"] += 1

    def _all_final(self) -> bool:
        return (
            not Task.objects.filter(project__in=self.projects_made)
            .exclude(status__in=["approved", "rejected", "cancelled"])
            .exists()
        )

    # --- finance and the report -------------------------------------------------------------------

    def _finance(self) -> None:
        self._settle()
        for period in sorted(set(PayoutEntry.objects.values_list("period", flat=True))):
            if period_end(period) <= clock.now():
                self.tally.attempt(
                    "close period", lambda p=period: period_close(actor_id=self.finance.pk, period=p)
                )
        for statement in Statement.objects.filter(paid_at__isnull=True).order_by("period")[:5]:
            self.tally.attempt(
                "mark paid",
                lambda s=statement: statement_mark_paid(
                    actor_id=self.finance.pk, statement_id=s.id, reference=f"SIM-{str(s.id)[:8]}"
                ),
            )

    def _report(self) -> tuple[list[str], bool]:
        lines = [
            f"simulated {self.started:%Y-%m-%d %H:%M} to {self.moment:%Y-%m-%d %H:%M} UTC (a pinned clock)"
        ]
        lines.append(
            f"people sign in with the password {PASSWORD!r}; ops: {self.ops.username}, "
            f"finance: {self.finance.username}"
        )
        lines.append("done: " + _counts(self.tally.done))
        lines.append("refused (as the rules say): " + _counts(self.tally.refused))
        statuses = Counter(
            Task.objects.filter(project__in=self.projects_made).values_list("status", flat=True)
        )
        lines.append("tasks: " + _counts(statuses))
        reviews = Counter(
            f"{s}:{d}" if d else s
            for s, d in ReviewAssignment.objects.filter(task__project__in=self.projects_made).values_list(
                "status", "decision"
            )
        )
        lines.append("review assignments: " + _counts(reviews))
        entries = PayoutEntry.objects.filter(task__project__in=self.projects_made)
        kinds = Counter(entries.values_list("kind", flat=True))
        net = from_cents(sum(entries.values_list("amount_cents", flat=True)))
        lines.append(f"payouts: {kinds['accrual']} accruals, {kinds['reversal']} reversals, net {net}")
        paid = Statement.objects.filter(paid_at__isnull=False).count()
        lines.append(f"statements: {Statement.objects.count()} issued, {paid} paid")
        lines.append(f"events in the log: {Event.objects.count()}")
        quality_lines, quality_failures = self._quality_check()
        appeal_lines, appeal_failures = self._appeal_check()
        calibration_lines, calibration_failures = self._calibration_check()
        appeal_lines, appeal_failures = (
            appeal_lines + calibration_lines,
            appeal_failures + calibration_failures,
        )
        quality_lines, quality_failures = quality_lines + appeal_lines, quality_failures + appeal_failures
        report = checks.verify()
        failures = report.failures + quality_failures
        return lines + report.lines + quality_lines + [f"FAILED: {f}" for f in failures], not failures

    def _quality_check(self) -> tuple[list[str], list[str]]:
        """The report may flag position bias only on planted biased contributors it can measure
        (enough non-tie judgments in a project) and must flag every one measured
        ``POSITION_BIAS_CERTAIN`` times; the gold bar only on careless ones, and on every one with
        ``GOLD_BAR_CERTAIN`` gold answers (a careless judge gets a quarter of gold right, a tie half
        the time: at 4 answers chance lifts them over 70% about one time in twenty, at 12 about one
        in 2,500); and nobody who was not planted, but for chance: an honest judge measured often
        enough is called biased once in a hundred times (p < 0.01), so that many are allowed,
        and said. A biased judge picks the first shown about seven times in eight (gold items they
        get right whatever the order): at 20 judgments chance hides that about one time in eight,
        at 40 about one in a thousand."""
        projects = [project.id for project in self.projects_made]
        decided = {key: rate.decided for key, rate in first_position_rates(projects).items()}
        measured = {key for key, n in decided.items() if n >= quality_domain.POSITION_BIAS_MIN_JUDGMENTS}
        biased = {key for key in measured if key[1] in self.position_biased}
        certain = {key for key in biased if decided[key] >= POSITION_BIAS_CERTAIN}
        rows = [(project, row) for project in projects for row in contributor_rows(project)]
        gold_answers = {
            (project, row["contributor"]): row["gold_answers"]
            for project, row in rows
            if row["contributor"] in self.careless
        }
        careless = {key for key, answers in gold_answers.items() if answers >= GOLD_BAR["gold_min_answers"]}
        careless_certain = {key for key in careless if gold_answers[key] >= GOLD_BAR_CERTAIN}
        flagged = {(project, row["contributor"]): set(row["flags"]) for project, row in rows if row["flags"]}
        bias_flags = {key for key, flags in flagged.items() if "position_bias" in flags}
        gold_flags = {key for key, flags in flagged.items() if "gold_below_bar" in flags}
        planted = self.position_biased | self.careless
        by_chance = {key for key in bias_flags if key[1] not in planted and flagged[key] == {"position_bias"}}
        honest_measured = len([key for key in measured if key[1] not in planted])
        chance_allows = math.ceil(quality_domain.POSITION_BIAS_P * honest_measured)
        lines = [
            f"quality: planted {len(self.position_biased)} position-biased contributors "
            f"({len(biased)} measurable: {quality_domain.POSITION_BIAS_MIN_JUDGMENTS} non-tie judgments, "
            f"{len(certain)} of them {POSITION_BIAS_CERTAIN}) "
            f"and {len(self.careless)} careless ({len(careless)} with {GOLD_BAR['gold_min_answers']} gold "
            f"answers, {len(careless_certain)} of them {GOLD_BAR_CERTAIN}); the report flags position "
            f"bias on {len(bias_flags - by_chance)}, the gold bar on {len(gold_flags)}, "
            f"{sum('suspended' in flags for flags in flagged.values())} suspended"
        ]
        if by_chance:
            lines.append(
                f"quality: {len(by_chance)} of {honest_measured} honest contributors measured called biased "
                f"by chance (p < {quality_domain.POSITION_BIAS_P} allows {chance_allows})"
            )
        failures = []
        if not certain <= bias_flags or not bias_flags - by_chance <= biased:
            failures.append(f"quality: position bias flagged {sorted(bias_flags)}, planted {sorted(biased)}")
        if not careless_certain <= gold_flags or not gold_flags <= careless:
            failures.append(f"quality: gold bar flagged {sorted(gold_flags)}, careless {sorted(careless)}")
        wrongly = sorted(key for key in flagged if key[1] not in planted and key not in by_chance)
        if wrongly or len(by_chance) > chance_allows:
            failures.append(f"quality: flagged who was not planted: {sorted(wrongly) or sorted(by_chance)}")
        agreement_lines, agreement_failures = self._agreement_check(projects)
        board_lines, board_failures = self._leaderboard_check(projects)
        return lines + agreement_lines + board_lines, failures + agreement_failures + board_failures

    def _calibration_check(self) -> tuple[list[str], list[str]]:
        """Plants never paid and never approved; careful reviewers catch them and careless ones do
        not: pooled over each group, once each has decided ``CALIBRATION_MIN_SEEN`` plants, the
        careless catch rate must be lower; and the report must flag every careless reviewer who
        approved two plants that deserved rejection (``approves_bad_plants``)."""
        projects = [project.id for project in self.projects_made]
        plants = CalibrationPlant.objects.filter(project__in=projects)
        scores = CalibrationScore.objects.filter(project__in=projects)
        paid = PayoutEntry.objects.filter(task_id__in=plants.values("task_id")).count()
        rows = {(p, row["reviewer"]): row for p in projects for row in reviewer_rows(p)}

        def pooled(careless: bool) -> tuple[int, int]:
            group = scores.filter(reviewer_id__in=self.careless_reviewers)
            if not careless:
                group = scores.exclude(reviewer_id__in=self.careless_reviewers)
            return group.filter(caught=True).count(), group.count()

        (careful_caught, careful_seen), (careless_caught, careless_seen) = pooled(False), pooled(True)
        lines = [
            f"calibration: {plants.count()} plants, {scores.count()} decisions scored; careful reviewers "
            f"caught {careful_caught} of {careful_seen}, careless ones {careless_caught} of {careless_seen}"
        ]
        failures = []
        if paid:
            failures.append(f"calibration: {paid} payout entries for plants")
        if min(careful_seen, careless_seen) >= CALIBRATION_MIN_SEEN and (
            careless_caught * careful_seen >= careful_caught * careless_seen
        ):
            failures.append("calibration: careless reviewers catch plants as often as careful ones")
        bad = Counter(
            (project, reviewer)
            for project, reviewer in scores.filter(
                decision="approve", expected_decision="reject"
            ).values_list("project_id", "reviewer_id")
        )
        missed = sorted(
            key
            for key, n in bad.items()
            if n >= 2 and "approves_bad_plants" not in rows.get(key, {}).get("flags", [])
        )
        if missed:
            failures.append(f"calibration: approved two bad plants, not flagged: {missed}")
        return lines, failures

    def _appeal_check(self) -> tuple[list[str], list[str]]:
        """Each overturned appeal accrued exactly once (an approval like any other), and the
        quality reports count the appeals the log holds: filed and won per contributor, overturned
        against the reviewer whose rejection it was."""
        appeals = Appeal.objects.filter(project__in=self.projects_made)
        overturned = set(appeals.filter(overturned=True).values_list("task_id", flat=True))
        upheld = appeals.filter(overturned=False).count()
        waiting = appeals.filter(overturned__isnull=True).count()
        accruals = Counter(
            PayoutEntry.objects.filter(task_id__in=overturned, kind="accrual").values_list(
                "task_id", flat=True
            )
        )
        projects = [project.id for project in self.projects_made]
        contributors = [row for project in projects for row in contributor_rows(project)]
        reviewers = [row for project in projects for row in reviewer_rows(project)]
        reported = (
            sum(row["appeals_filed"] for row in contributors),
            sum(row["appeals_won"] for row in contributors),
            sum(row["appeals_overturned"] for row in reviewers),
        )
        against_reviewers = appeals.filter(overturned=True, rejected_by__isnull=False).count()
        lines = [
            f"appeals: {appeals.count()} filed, {len(overturned)} overturned, {upheld} upheld, {waiting} "
            f"waiting; the quality report counts {reported[0]} filed, {reported[1]} won, {reported[2]} "
            "overturned against the reviewer who rejected"
        ]
        failures = []
        if any(accruals[task] != 1 for task in overturned):
            failures.append(f"appeals: overturned tasks accrued {dict(accruals)} (each must accrue once)")
        if reported != (appeals.count(), len(overturned), against_reviewers):
            failures.append(f"appeals: the quality report counts {reported}, the appeals table differs")
        return lines, failures

    def _leaderboard_check(self, projects: list[Any]) -> tuple[list[str], list[str]]:
        """The strong model wins most of its comparisons: once it has ``LEADERBOARD_MIN_COMPARISONS``
        approved judgments in a project, the leaderboard must rank it first there, unless more
        than ``PLANTED_MAX_SHARE`` of the contributors with approved work there were planted (a
        biased judge picks by position, a careless one at random: not by content)."""
        lines, failures = [], []
        planted = self.careless | self.position_biased
        for project in projects:
            judges = {row["contributor"] for row in contributor_rows(project) if row["approved"]}
            planted_share = len(planted & judges) / len(judges) if judges else 1.0
            board = leaderboard_json(project)
            ranked = [row["model"] for row in board["models"]]
            strong = next((row for row in board["models"] if row["model"] == STRONG_MODEL), None)
            order = ", ".join(f"{row['model']} {row['rating']:.0f}" for row in board["models"]) or "no models"
            lines.append(
                f"quality: leaderboard from {board['judgments']} judgments: {order} "
                f"(planted: {STRONG_MODEL} wins three in four)"
                + (
                    f"; not checked: {planted_share:.0%} of its judges were planted"
                    if planted_share > PLANTED_MAX_SHARE
                    else ""
                )
            )
            if (
                planted_share <= PLANTED_MAX_SHARE
                and strong is not None
                and strong["comparisons"] >= LEADERBOARD_MIN_COMPARISONS
                and ranked[0] != STRONG_MODEL
            ):
                failures.append(f"quality: the leaderboard ranks {ranked[0]} first, not {STRONG_MODEL}")
        return lines, failures

    def _agreement_check(self, projects: list[Any]) -> tuple[list[str], list[str]]:
        """Careful judges of one item mostly agree and careless ones agree only by chance, so the
        careless contributors' pairs (pooled) must agree less often than the careful ones' pairs.
        "The others" a careless judge is compared with must be mostly careful for that to hold,
        and the pools must be big enough for chance not to decide it: the run compares only where
        at most ``PLANTED_MAX_SHARE`` of the contributors with pairs were planted and both
        pools hold ``AGREEMENT_MIN_PAIRS`` pairs (then the expected gap, about 0.8 against 0.25,
        is over three standard errors) and says so where it does not."""
        lines, failures = [], []
        tallies = agreement_tallies(projects)
        planted = self.careless | self.position_biased
        for project in projects:
            found = project_agreement(project)
            alpha = "undefined" if found.alpha is None else f"{found.alpha:.3f}"
            percent = "-" if found.percent is None else f"{found.percent:.1%}"
            mine = {person: counts for (p, person), counts in tallies.items() if p == project}
            careful = _pooled(counts for person, counts in mine.items() if person not in planted)
            careless = _pooled(counts for person, counts in mine.items() if person in self.careless)
            head = (
                f"quality: agreement over {found.items} items judged twice or more: {percent} of pairs, "
                f"alpha {alpha}; careful contributors agree with the others {_rate(careful)}, careless "
                f"ones {_rate(careless)}"
            )
            planted_share = len(planted & mine.keys()) / len(mine) if mine else 1.0
            verdict = compare_agreement(careful, careless, planted_share)
            lines.append(f"{head}: {verdict}")
            if verdict == AGREEMENT_FAILS:
                failures.append(f"quality: {verdict}")
        return lines, failures


AGREEMENT_SEPARATES = "careless contributors agree less often than careful ones"
AGREEMENT_FAILS = "careless contributors agree as often as careful ones"


def compare_agreement(careful: tuple[int, int], careless: tuple[int, int], planted_share: float) -> str:
    """Whether pooled (agreeing, pairs) tallies tell careless judges from careful ones: one of the
    two verdicts above, or why they were not compared."""
    if planted_share > PLANTED_MAX_SHARE:
        return f"not compared: {planted_share:.0%} of those judged were planted"
    if min(careful[1], careless[1]) < AGREEMENT_MIN_PAIRS:
        return f"not compared: under {AGREEMENT_MIN_PAIRS} pairs on a side"
    if careless[0] * careful[1] >= careful[0] * careless[1]:
        return AGREEMENT_FAILS
    return AGREEMENT_SEPARATES


def _pooled(tallies: Iterable[tuple[int, int]]) -> tuple[int, int]:
    """(agreeing, pairs) summed over contributors."""
    agreeing = pairs = 0
    for agree, total in tallies:
        agreeing, pairs = agreeing + agree, pairs + total
    return agreeing, pairs


def _rate(pooled: tuple[int, int]) -> str:
    agreeing, pairs = pooled
    return f"{agreeing / pairs:.0%} of {pairs} pairs" if pairs else "in no pairs"


ROUND = timedelta(minutes=45)
GOLD_EVERY = 4  # one task in four is gold
GOLD_BAR = {"gold_min_accuracy": "0.700", "gold_min_answers": 4}
MODELS = ("atlas-70b", "corvid-xl", "borealis-8b", "delphi-3")
STRONG_MODEL = "atlas-70b"  # planted: the better answer three times in four where it takes part
LEADERBOARD_MIN_COMPARISONS = 40  # its judgments before the run insists it ranks first
POSITION_BIAS_CERTAIN = 40  # non-tie judgments after which a biased judge must be flagged
CALIBRATION = {"calibration_reviews": 3, "calibration_every": 5}  # more plants seen than by default
CALIBRATION_MIN_SEEN = 8  # plant decisions per group before careless and careful are compared
APPEAL_CHANCE = 0.3  # how often a contributor appeals a rejection
APPEAL_OVERTURN = 0.5  # how often an appeal's reviewer overturns it
APPEAL_REASON = (
    "The rejection misreads the scores: they favour the answer I preferred on every criterion, as "
    "the rationale says."
)
HONEST_AGREEMENT = 0.9  # how often a careful judge gives an item its better answer
AGREEMENT_MIN_PAIRS = 15  # pooled pairs of careless (and of careful) contributors before comparing
# The planted share of the contributors judging in a project beyond which agreement and the
# leaderboard cannot be expected to find what was planted: their judgments drown the content.
PLANTED_MAX_SHARE = 0.25
GOLD_BAR_CERTAIN = 12  # gold answers after which a careless judge must be below the bar
PROJECT_NAMES = ("Python services", "Rust systems", "SQL analytics", "TypeScript front ends", "Go tooling")


def _reviewer_level(index: int) -> int:
    """Two thirds at level 1, the rest at 2, and every sixth at 3 (for three-layer projects)."""
    if index % 6 == 0:
        return 3
    return 2 if index % 3 == 0 else 1


def _project_fields(run: str, index: int, count: int, overlap: int) -> dict[str, Any]:
    """The first project as the simulation always had it; more of them differ in layers and limits."""
    name = f"Simulation {run}" if count == 1 else f"{PROJECT_NAMES[index % len(PROJECT_NAMES)]} {run}"
    return {
        "name": name,
        "review_layers": 2 if index % 3 != 2 else (3 if index % 2 else 1),
        "claim_timeout_minutes": 90 + 30 * (index % 2),
        "review_timeout_minutes": 60 * (1 + index % 3),
        "overlap": overlap,
        **GOLD_BAR,
        **CALIBRATION,
    }


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{name} {n}" for name, n in sorted(counter.items())) or "nothing"
