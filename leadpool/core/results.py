"""What a batch operation answers: per record, done or refused with a reason."""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone


@dataclass(frozen=True)
class Refusal:
    """Why an operation was refused for one record.

    `code` is stable (API.md lists them); `message` is for people, in the active
    language; `until` is when a time-bound refusal stops applying.
    """

    code: str
    message: str
    until: datetime.datetime | None = None


class Refused(Exception):
    """Raised inside a per-record step to refuse that record (and roll back its savepoint)."""

    def __init__(self, refusal: Refusal):
        super().__init__(refusal.message)
        self.refusal = refusal


@dataclass
class BatchResult:
    done: list[int] = field(default_factory=list)
    refused: list[tuple[int, Refusal]] = field(default_factory=list)

    def refusal_for(self, record_id: int) -> Refusal | None:
        return next((refusal for pk, refusal in self.refused if pk == record_id), None)

    def as_dict(self) -> dict:
        return {
            "done": list(self.done),
            "refused": [
                {"id": pk, "code": refusal.code, "message": refusal.message}
                # Every time the API writes is in the site's zone, whichever rule set it.
                | (
                    {"until": timezone.localtime(refusal.until).isoformat()}
                    if refusal.until
                    else {}
                )
                for pk, refusal in self.refused
            ],
        }
