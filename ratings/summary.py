"""A run's persisted summary: results per (company, level) and the customers who moved.

The run pages never read the results table for figures; they read two small tables:

- `RunLevelCount` (run, company, level) → n. Each chunk adds the counts of the rows it writes,
  in its own transaction (`add_counts`), so a superseded chunk's counts roll back with its
  rows; `reset` empties a run's summary when it is claimed again (a rerun starts from nothing).
- `RunMove`: every customer whose level differs from its level in the previous succeeded run,
  with from/to level and up/down. Computed in one SQL statement when a run finishes
  (`compute_moves`) and recorded on the run as `moves_from`.

Keeping movers right when runs are rerun or added out of order: whenever a run finishes or
fails, the next succeeded run after it has its moves computed again against whichever run
is now its previous succeeded one (`refresh_next`). So a rerun of October recomputes
November's movers; a run added for a date in between becomes the next run's comparison;
a rerun that fails leaves the next run compared with the one before. While a run is being
rerun the next run keeps showing its moves against the rerun run's last complete results.

`rebuild` recomputes both from the results (tests that store results directly, the data
migration for runs made before this table existed).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction

from customers.models import Customer

from .models import LEVEL_ORDER, RatingResult, RatingRun, RunLevelCount, RunMove


def reset(run_id: int) -> None:
    """Forget a run's counts and movers (a new attempt is starting)."""
    RunLevelCount.objects.filter(run_id=run_id).delete()
    RunMove.objects.filter(run_id=run_id).delete()
    RatingRun.objects.filter(pk=run_id).update(moves_from=None)


def add_counts(run_id: int, counts: dict[tuple[int, str], int]) -> None:
    """Add (company id, level) → n to the run's counts (an upsert; negative n subtracts)."""
    if not counts:
        return
    table = RunLevelCount._meta.db_table
    values = ", ".join(["(%s, %s, %s, %s)"] * len(counts))
    # Sorted: chunks taken by several workers lock the same rows, always in the same order.
    params = [v for (company_id, level), n in sorted(counts.items()) for v in (run_id, company_id, level, n)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (run_id, company_id, level, n) VALUES {values} "
            f"ON CONFLICT (run_id, company_id, level) DO UPDATE SET n = {table}.n + excluded.n",
            params,
        )


def count_levels(run_id: int) -> None:
    """Recompute a run's counts from its results (one grouped scan; not on a run's path)."""
    results, customers = RatingResult._meta.db_table, Customer._meta.db_table
    with transaction.atomic():
        RunLevelCount.objects.filter(run_id=run_id).delete()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {RunLevelCount._meta.db_table} (run_id, company_id, level, n) "
                f"SELECT r.run_id, c.company_id, r.level, COUNT(*) FROM {results} r "
                f"JOIN {customers} c ON c.id = r.customer_id WHERE r.run_id = %s "
                f"GROUP BY r.run_id, c.company_id, r.level",
                [run_id],
            )


def previous_succeeded(run: RatingRun) -> RatingRun | None:
    return RatingRun.objects.filter(status=RatingRun.Status.SUCCEEDED, as_of__lt=run.as_of).order_by("-as_of").first()


def next_succeeded(run: RatingRun) -> RatingRun | None:
    return RatingRun.objects.filter(status=RatingRun.Status.SUCCEEDED, as_of__gt=run.as_of).order_by("as_of").first()


def direction_sql(from_col: str, to_col: str) -> str:
    """SQL: 'up' when `to_col` is a better colour than `from_col`, else 'down' (levels differ)."""
    ranks = " ".join(f"WHEN '{level}' THEN {i}" for i, level in enumerate(LEVEL_ORDER))
    return f"CASE WHEN (CASE {to_col} {ranks} END) < (CASE {from_col} {ranks} END) THEN 'up' ELSE 'down' END"


def direction(from_level: str, to_level: str) -> str:
    return RunMove.UP if LEVEL_ORDER.index(to_level) < LEVEL_ORDER.index(from_level) else RunMove.DOWN


def compute_moves(run: RatingRun) -> int:
    """Replace the run's movers with those against its previous succeeded run; returns how many.

    One INSERT … SELECT: the two runs' results read in customer order through the unique
    (run, customer) index and merge-joined (0.6 s for a million against a million; the planner,
    on statistics that predate the new run, would otherwise pick a nested loop, 2.9 s); only
    the movers (a few per cent) look up their company. Locks the run row first, so two
    finishes recomputing the same run's movers take turns.
    """
    with transaction.atomic():
        RatingRun.objects.select_for_update().filter(pk=run.pk).values_list("pk").first()
        previous = previous_succeeded(run)
        RunMove.objects.filter(run_id=run.pk).delete()
        RatingRun.objects.filter(pk=run.pk).update(moves_from=previous)
        run.moves_from = previous
        if previous is None:
            return 0
        results, customers = RatingResult._meta.db_table, Customer._meta.db_table
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                for setting in ("jit = off", "enable_hashjoin = off", "enable_nestloop = off"):
                    cursor.execute(f"SET LOCAL {setting}")
            cursor.execute(
                f"INSERT INTO {RunMove._meta.db_table} "
                f"(run_id, customer_id, company_id, from_level, to_level, direction, criteria) "
                f"SELECT r.run_id, r.customer_id, (SELECT c.company_id FROM {customers} c WHERE c.id = r.customer_id), "
                f"p.level, r.level, {direction_sql('p.level', 'r.level')}, r.criteria "
                f"FROM {results} r JOIN {results} p ON p.customer_id = r.customer_id AND p.run_id = %s "
                f"WHERE r.run_id = %s AND r.level <> p.level",
                [previous.pk, run.pk],
            )
            return cursor.rowcount


def refresh_next(run: RatingRun) -> RatingRun | None:
    """Recompute the movers of the next succeeded run after `run` (its previous run may have changed)."""
    following = next_succeeded(run)
    if following is not None:
        compute_moves(following)
    return following


def rebuild(runs: Iterable[RatingRun]) -> None:
    """Counts and movers of `runs` from their results, oldest first."""
    for run in sorted(runs, key=lambda r: r.as_of):
        count_levels(run.pk)
        if run.status == RatingRun.Status.SUCCEEDED:
            compute_moves(run)


def refresh_customer_move(run: RatingRun, customer: Customer) -> None:
    """Recompute one customer's move in `run` against its `moves_from` run (after a re-rate)."""
    RunMove.objects.filter(run=run, customer=customer).delete()
    if run.moves_from_id is None:
        return
    levels = dict(
        RatingResult.objects.filter(run_id__in=[run.pk, run.moves_from_id], customer=customer).values_list(
            "run_id", "level"
        )
    )
    now, before = levels.get(run.pk), levels.get(run.moves_from_id)
    if now is None or before is None or now == before:
        return
    criteria = RatingResult.objects.filter(run=run, customer=customer).values_list("criteria", flat=True).first()
    RunMove.objects.create(
        run=run,
        customer=customer,
        company_id=customer.company_id,
        from_level=before,
        to_level=now,
        direction=direction(before, now),
        criteria=criteria or "",
    )
