-- Notifications' copy of each ticket's requester, from TicketOpened: later ticket events
-- (a reply, a suspension, a resolution) name only the ticket. Tickets' events of one ticket
-- share a partition, so its TicketOpened always arrives first.
CREATE TABLE ticket_requesters (
    ticket_id       uuid PRIMARY KEY,
    organisation_id uuid,
    number          bigint NOT NULL,
    title           text NOT NULL,
    requester_id    uuid,
    requester_email text NOT NULL
);
