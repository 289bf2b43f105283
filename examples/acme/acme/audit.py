"""Audit trail: who changed what, kept in the ``audit_log`` table."""

import functools
import getpass

from acme.db import db_wrapper


def record_event(action, subject_id, detail=""):
    """Append one event to the audit log, attributed to the current operator.

    Args:
        action: Dotted event name, e.g. ``"order.cancel"``.
        subject_id: Id of the order, payment or customer the event is about.
        detail: Free text shown in the back-office timeline.
    """
    db_wrapper.execute(
        "INSERT INTO audit_log (action, subject_id, actor, detail) VALUES (?, ?, ?, ?)",
        (action, subject_id, getpass.getuser(), detail),
    )


def audited(action):
    """Decorate a service function so that each successful call is audited.

    The first positional argument of the decorated function is taken as the subject id.
    """

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(subject_id, *args, **kwargs):
            result = fn(subject_id, *args, **kwargs)
            db_wrapper.execute(
                "INSERT INTO audit_log (action, subject_id, actor) VALUES (?, ?, ?)",
                (action, subject_id, getpass.getuser()),
            )
            return result

        return wrapper

    return decorate
