from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from leadpool.core.results import Refused
from leadpool.leads.models import Lead
from leadpool.leads.services import convert_lead
from leadpool.pools.management.records_command import ACTIONS, RecordsCommand, _format_errors


class Command(RecordsCommand):
    help = "Lead pool operations as a user: leadpool lead claim 12 13 --as zhang.wei"
    model = Lead
    actions = [*ACTIONS, "convert"]

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--existing-customer", type=int, help="convert: link to this customer id"
        )
        parser.add_argument(
            "--allow-duplicate",
            action="store_true",
            help="convert: create a new customer even if a matching one is on file",
        )

    def handle(self, *args, action: str, ids: list[int], acting: str | None, **options):
        if action != "convert":
            return super().handle(*args, action=action, ids=ids, acting=acting, **options)
        user = self._user(acting, "--as")
        if len(ids) != 1:
            raise CommandError("Give the id of one lead to convert.")
        try:
            conversion = convert_lead(
                lead_id=ids[0],
                by=user,
                existing_customer=options["existing_customer"],
                allow_duplicate=options["allow_duplicate"],
            )
        except Refused as refused:
            raise CommandError(f"[{refused.refusal.code}] {refused.refusal.message}") from None
        except ValidationError as error:
            raise CommandError(_format_errors(error)) from None
        customer = conversion.customer
        verb = "Created" if conversion.created_customer else "Linked to"
        self._print(
            options,
            {
                "customer": customer.pk,
                "contact": conversion.contact.pk,
                "created_customer": conversion.created_customer,
            },
            f"{verb} customer #{customer.pk} {customer}; contact #{conversion.contact.pk}.",
        )
