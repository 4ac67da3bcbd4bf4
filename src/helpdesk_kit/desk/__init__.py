"""The service layer: the Helpdesk and what its commands return."""

from __future__ import annotations

from helpdesk_kit.desk.results import ReceiveResult, SweepResult
from helpdesk_kit.desk.retry import retry_on_conflict
from helpdesk_kit.desk.service import Helpdesk
from helpdesk_kit.desk.settings import DeskSettings

__all__ = ["DeskSettings", "Helpdesk", "ReceiveResult", "SweepResult", "retry_on_conflict"]
