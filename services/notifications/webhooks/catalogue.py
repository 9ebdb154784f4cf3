"""The event types an organisation's webhooks may subscribe to: published, one list. Offering
another service's events is adding their types here (its topic must be subscribed to, see
`subscriptions`); each is delivered only to the organisation the event names."""

from __future__ import annotations

from services.fleet import events as fleet
from services.identity import events as identity
from services.orders import events as orders
from services.tickets import events as tickets

WEBHOOK_EVENT_TYPES: dict[str, str] = {
    event.type: (event.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
    for event in (
        # the organisation's users and what they may do
        identity.UserSelfRegistered,
        identity.PortalAccessGranted,
        identity.AccountActivated,
        identity.AccountBlocked,
        identity.ModulesChanged,
        identity.CustomerAdminAppointed,
        identity.CustomerAdminRevoked,
        # the organisation's details, and the requests to change them
        identity.OrganisationDetailsChanged,
        identity.ReferentsChanged,
        identity.OrganisationChangeRequested,
        identity.OrganisationChangeApproved,
        identity.OrganisationChangeRejected,
        identity.ContactAdded,
        identity.ContactUpdated,
        # the organisation's equipment (fleet)
        fleet.SiteRegistered,
        fleet.ContractRegistered,
        fleet.ContractTermsChanged,
        fleet.ContractEnded,
        fleet.AssetRegistered,
        fleet.AssetRelocated,
        fleet.AssetStatusChanged,
        fleet.ContractAttached,
        fleet.ContractDetached,
        fleet.MeterReadingRecorded,
        # interventions on the organisation's machines (tickets)
        tickets.InterventionRequested,
        tickets.InterventionScheduled,
        tickets.InterventionStarted,
        tickets.InterventionCompleted,
        tickets.InterventionCancelled,
        # the organisation's orders of consumables
        orders.OrderPlaced,
        orders.OrderValidated,
        orders.OrderShipped,
        orders.OrderCancelled,
    )
}
