"""One function per command on identity's aggregates: load, decide, append with the expected
version, project, all in one transaction (`unit_of_work`). Sign-in and sessions are in
`authentication.py`. Callers use `handlers.<command>`; each lives in the module of its subject."""

from services.identity.handlers.accounts import (
    PortalAccess,
    Registration,
    StaffMember,
    change_membership,
    create_staff_account,
    grant_portal_access,
    next_user_code,
    self_register,
)
from services.identity.handlers.organisations import (
    OrganisationFacts,
    add_contact,
    change_organisation,
    decide_organisation_change,
    register_organisation,
    request_organisation_change,
    update_contact,
)
from services.identity.handlers.passwords import (
    change_own_password,
    replace_expired_password,
    request_password_reset,
    set_password_with_link,
    set_temporary_password,
)
from services.identity.handlers.personal_data import (
    confirm_email_change,
    request_email_change,
    run_user_command,
)
from services.identity.handlers.unit_of_work import Identity, execute, load, save

__all__ = [
    "Identity",
    "OrganisationFacts",
    "PortalAccess",
    "Registration",
    "StaffMember",
    "add_contact",
    "change_membership",
    "change_organisation",
    "change_own_password",
    "confirm_email_change",
    "create_staff_account",
    "decide_organisation_change",
    "execute",
    "grant_portal_access",
    "load",
    "next_user_code",
    "register_organisation",
    "replace_expired_password",
    "request_email_change",
    "request_organisation_change",
    "request_password_reset",
    "run_user_command",
    "save",
    "self_register",
    "set_password_with_link",
    "set_temporary_password",
    "update_contact",
]
