"""`academy user create|set-role`: people and roles from the shell (operators, tests, scripts)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from academy.accounts.choices import Role
from academy.accounts.models import User
from academy.accounts.services import staff_user_create, user_set_role
from academy.core.errors import AcademyError


class Command(BaseCommand):
    help = "Create a staff account with a role, or change an account's role."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Create an account with a role.")
        create.add_argument("--email", required=True)
        create.add_argument("--name", default="")
        create.add_argument("--role", required=True, choices=Role.values)
        create.add_argument("--password", required=True)
        set_role = actions.add_parser("set-role", help="Give an existing account a role.")
        set_role.add_argument("--email", required=True)
        set_role.add_argument("--role", required=True, choices=Role.values)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "create":
                user = staff_user_create(
                    email=options["email"],
                    display_name=options["name"],
                    password=options["password"],
                    role=Role(options["role"]),
                )
                self.stdout.write(f"Created {user.email} as {options['role']}.")
            else:
                found = User.objects.filter(email__iexact=options["email"]).first()
                if found is None:
                    raise CommandError(f"No account uses {options['email']}.")
                user_set_role(user=found, role=Role(options["role"]))
                self.stdout.write(f"{found.email} is now {options['role']}.")
        except AcademyError as error:
            raise CommandError(error.detail) from error
