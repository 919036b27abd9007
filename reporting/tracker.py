"""The task tracker (Annexes 1 and 2): the task force and the key tasks as the pages read them.

Monthly progress reports, the reported / not-reported grid, the 客户服务中心's comments and the yearly
summary are not built yet (see the README's credit work section).
"""

from __future__ import annotations

from dataclasses import dataclass

from .models_tracker import KeyTask, TaskForceMember


@dataclass(frozen=True)
class TaskForce:
    leaders: list[TaskForceMember]
    liaisons: list[TaskForceMember]


def task_force() -> TaskForce:
    members = list(TaskForceMember.objects.select_related("unit").order_by("position", "id"))
    return TaskForce(
        leaders=[m for m in members if m.role == TaskForceMember.Role.LEADER],
        liaisons=[m for m in members if m.role == TaskForceMember.Role.LIAISON],
    )


def key_tasks() -> list[KeyTask]:
    return list(KeyTask.objects.filter(active=True).prefetch_related("units").order_by("number"))
