"""The tasks domain, pure (no Django imports): the project aggregate (``project``), the task
aggregate and its deciders (``task``), the task stream's events (``events``), the review round's
events and assignment state shared with the reviews app (``review_round``), the judgment and
its checks (``judgment``) and import rows (``rows``)."""
