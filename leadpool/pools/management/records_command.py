"""The shared body of `leadpool lead …` and `leadpool customer …`: the pool operations
from the command line, acting as a named user, through the same services as the API."""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from leadpool.accounts.models import User
from leadpool.pools import access, services
from leadpool.pools.duplicates import find_duplicates
from leadpool.pools.models import Pool

ACTIONS = [
    "list",
    "claim",
    "assign",
    "reclaim",
    "return",
    "put-into-pool",
    "delete",
    "restore",
    "purge",
    "purge-expired",
    "duplicates",
]


class RecordsCommand(BaseCommand):
    model: type  # Lead or Customer, set by the subclass
    actions = ACTIONS

    def add_arguments(self, parser):
        parser.add_argument("action", choices=self.actions)
        parser.add_argument("ids", nargs="*", type=int, help="record ids")
        parser.add_argument("--as", dest="acting", help="username to act as (required)")
        parser.add_argument("--reason", default="")
        parser.add_argument("--to-user", help="assign: username or id of the new owner")
        parser.add_argument("--to-pool", help="assign/return: pool name or id")
        parser.add_argument("--pool", help="put-into-pool: pool name or id; list: filter")
        parser.add_argument("--phone", default="", help="duplicates: phone")
        parser.add_argument("--email", default="", help="duplicates: e-mail")
        parser.add_argument("--company", default="", help="duplicates: company")
        parser.add_argument("--name", default="", help="duplicates: name")
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args, action: str, ids: list[int], acting: str | None, **options):
        if action == "purge-expired":
            purged = services.purge_expired_records(model=self.model)
            self._print(options, {"purged": purged}, f"Purged {purged} {self.model.entity}(s).")
            return
        user = self._user(acting, "--as")
        try:
            if action == "list":
                self._list(user, options)
            elif action == "duplicates":
                report = find_duplicates(
                    by=user,
                    name=options["name"],
                    phone=options["phone"],
                    email=options["email"],
                    company=options["company"],
                )
                self._print(options, report.as_dict(), self._describe_duplicates(report))
            else:
                if not ids:
                    raise CommandError("Give the ids of the records.")
                result = self._run(action, user, ids, options)
                self._print(options, result.as_dict(), self._describe_result(action, result))
        except ValidationError as error:
            raise CommandError(_format_errors(error)) from None

    def _run(self, action: str, user, ids: list[int], options):
        model, reason = self.model, options["reason"]
        if action == "claim":
            return services.claim_records(model=model, ids=ids, by=user, reason=reason)
        if action == "assign":
            to_user = self._user(options["to_user"], "--to-user") if options["to_user"] else None
            to_pool = self._pool(options["to_pool"]) if options["to_pool"] else None
            return services.assign_records(
                model=model, ids=ids, by=user, to_user=to_user, to_pool=to_pool, reason=reason
            )
        if action == "reclaim":
            return services.reclaim_records(model=model, ids=ids, by=user, reason=reason)
        if action == "return":
            to_pool = self._pool(options["to_pool"]) if options["to_pool"] else None
            return services.return_records(
                model=model, ids=ids, by=user, reason=reason, to_pool=to_pool
            )
        if action == "put-into-pool":
            if not options["pool"]:
                raise CommandError("Give --pool.")
            return services.put_records_into_pool(
                model=model, ids=ids, by=user, pool=self._pool(options["pool"]), reason=reason
            )
        if action == "delete":
            return services.delete_records(model=model, ids=ids, by=user, reason=reason)
        if action == "restore":
            return services.restore_records(model=model, ids=ids, by=user)
        return services.purge_records(model=model, ids=ids, by=user)

    def _list(self, user, options) -> None:
        scope = access.scope_of(user)
        records = access.visible_records(user, self.model, scope=scope).select_related(
            "owner", "pool"
        )
        if options["pool"]:
            records = records.filter(pool=self._pool(options["pool"]))
        rows = []
        for record in records[:200]:
            contact = access.contact_details(scope, record)
            rows.append(
                {
                    "id": record.pk,
                    "name": record.name,
                    "company": record.company,
                    "phone": contact["phone"],
                    "status": record.status,
                    "owner": str(record.owner) if record.owner else "",
                    "pool": record.pool.name if record.pool else "",
                }
            )
        text = "\n".join(
            f"{r['id']:>7}  {r['name'][:16]:<16} {r['company'][:24]:<24} {r['phone']:<16} "
            f"{r['status']:<10} {r['owner'][:12]:<12} {r['pool']}"
            for r in rows
        )
        self._print(options, {"results": rows}, text or "Nothing here.")

    def _user(self, value: str | None, option: str) -> User:
        if not value:
            raise CommandError(f"Give {option} USERNAME.")
        lookup = {"pk": int(value)} if value.isdigit() else {"username": value}
        user = User.objects.filter(**lookup, is_active=True).first()
        if user is None:
            raise CommandError(f"There is no active user {value!r} ({option}).")
        return user

    def _pool(self, value: str) -> Pool:
        lookup = {"pk": int(value)} if value.isdigit() else {"name": value}
        pool = Pool.objects.filter(**lookup, kind=self.model.pool_kind).first()
        if pool is None:
            raise CommandError(f"There is no {self.model.entity} pool {value!r}.")
        return pool

    def _print(self, options, data: dict, text: str) -> None:
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False, default=str))
        else:
            self.stdout.write(text)

    def _describe_result(self, action: str, result) -> str:
        lines = [f"{action}: {len(result.done)} done, {len(result.refused)} refused"]
        lines += [f"  done    #{pk}" for pk in result.done]
        lines += [f"  refused #{pk} [{r.code}] {r.message}" for pk, r in result.refused]
        return "\n".join(lines)

    def _describe_duplicates(self, report) -> str:
        lines = [
            f"{m.type} #{m.id} {m.display} — {', '.join(m.matched_on)} ({m.score}), {m.state}"
            + (f", {m.owner}" if m.owner else "")
            + (f", pool {m.pool}" if m.pool else "")
            for m in report.matches
        ]
        lines += [
            f"{m.type} held elsewhere — {', '.join(m.matched_on)}, {m.state}"
            for m in report.elsewhere
        ]
        return "\n".join(lines) or "No duplicates."


def _format_errors(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in error.message_dict.items())
    return " ".join(error.messages)
