# SPDX-License-Identifier: Apache-2.0
"""The Celery app of test_celery.py: a task that counts itself, run by prefork pool processes
(billiard forks them from the worker that imported this module). The broker is kombu's
filesystem transport in $SHMON_TEST_BROKER_DIR: no broker server to run."""
import os

from celery import Celery

from shmon.prometheus import Counter

_broker = os.environ["SHMON_TEST_BROKER_DIR"]
app = Celery("celery_app", broker="filesystem://")
app.conf.update(
    broker_transport_options={"data_folder_in": _broker, "data_folder_out": _broker},
    task_ignore_result=True,
    worker_hijack_root_logger=False,
)

TASKS = Counter("celery_tasks", "Tasks run.", ["kind"])


@app.task
def work(kind):
    TASKS.labels(kind).inc()
