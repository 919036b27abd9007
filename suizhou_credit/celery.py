import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suizhou_credit.settings")

app = Celery("suizhou_credit")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

_actor_tokens: dict[str, object] = {}


@task_prerun.connect
def _attribute_task_writes(task_id=None, task=None, **kwargs):
    """Audit entries written by a task name the task (and keep the user who queued it, if any)."""
    from customers.audit import Actor, _actor, current_actor

    outer = current_actor()
    _actor_tokens[task_id] = _actor.set(Actor(f"task:{task.name}", outer.user_id))


@task_postrun.connect
def _end_task_attribution(task_id=None, **kwargs):
    from customers.audit import _actor

    token = _actor_tokens.pop(task_id, None)
    if token is not None:
        _actor.reset(token)
