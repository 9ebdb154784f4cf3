"""A million tickets in tickets' read model, bulk-loaded with COPY, for the list benchmark.

The list reads only the read model (`tickets`, `ticket_reads`, `people`), so that is what is
filled; the event store is not (replaying a million `TicketOpened` through the service would
take hours on this machine and change nothing the list reads). Rows are generated in the
order tickets were opened, over five years, organisations interleaved, as the service would
have written them; statuses follow from each ticket's age (recent ones are still being worked
on, old ones are closed), and `updated_at` is the ticket's last change.

Titles, descriptions and replies are drawn from pools of generated French and English
sentences; their full-text vectors are computed once per sentence by PostgreSQL with the
service's own functions (`ticket_text_vector`, the title weighted `A` as the projection does)
and joined in while copying from a staging table, instead of a million times. The list's
indexes are dropped during the load and rebuilt from their own definitions, then the tables
are vacuumed and analysed, as autovacuum would have done on a live system.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import asyncpg

from services.tickets.domain_types import Department, Nature, Priority, Severity, TicketType

TOTAL_TICKETS = 1_000_000
BIG_ORGANISATION_TICKETS = 100_000
OTHER_ORGANISATIONS = 3_000
PEOPLE_IN_BIG_ORGANISATION = 250
AGENTS = 40
YEARS = 5
CHUNK = 50_000
FIRST_NUMBER = 10_000_000
"""Above the demo's numbers (the sequence starts at 1000)."""
TITLES, DESCRIPTIONS, REPLIES = 3_000, 3_000, 1_000
SEED = 20261122
MESSAGES, MESSAGE_WEIGHTS = range(1, 9), [30, 25, 15, 10, 8, 6, 4, 2]
"""Public messages of a ticket past "new"."""

PRIORITIES = {Priority.LOW: 25, Priority.NORMAL: 55, Priority.HIGH: 15, Priority.URGENT: 5}
TYPES = {TicketType.INCIDENT: 50, TicketType.REQUEST: 30, TicketType.QUESTION: 15}
TYPES[TicketType.CONTACT] = 5
DEPARTMENTS = {Department.TECHNICAL: 70, Department.BILLING: 12, Department.SALES: 10}
DEPARTMENTS[Department.LOGISTICS] = 8
FIRST_RESPONSE_HOURS = {Priority.URGENT: 1, Priority.HIGH: 4, Priority.NORMAL: 8, Priority.LOW: 24}
RESOLUTION_HOURS = {Priority.URGENT: 8, Priority.HIGH: 24, Priority.NORMAL: 72, Priority.LOW: 168}

# (French, English) pairs, so that a word and its translation are about as frequent.
OBJECTS = [
    ("l'imprimante", "the printer"),
    ("le copieur", "the copier"),
    ("le VPN", "the VPN"),
    ("la messagerie", "the mailbox"),
    ("la facture", "the invoice"),
    ("le badge d'accès", "the access badge"),
    ("le serveur de fichiers", "the file server"),
    ("la licence", "the licence"),
    ("l'écran", "the screen"),
    ("le réseau wifi", "the wifi network"),
    ("la sauvegarde", "the backup"),
    ("l'application mobile", "the mobile app"),
    ("le scanner", "the scanner"),
    ("le téléphone", "the phone"),
    ("le contrat de maintenance", "the maintenance contract"),
    ("la livraison", "the delivery"),
    ("la commande", "the order"),
    ("le mot de passe", "the password"),
    ("le portail client", "the customer portal"),
    ("la base de données", "the database"),
    ("le logiciel de paie", "the payroll software"),
    ("l'onduleur", "the UPS"),
    ("le routeur", "the router"),
    ("la visioconférence", "the video conference"),
]
PROBLEMS = [
    ("{} est hors service", "{} is down"),
    ("{} ne démarre plus", "{} won't start"),
    ("{} est très lent", "{} is very slow"),
    ("erreur sur {}", "error on {}"),
    ("{} reste bloqué", "{} is stuck"),
    ("{} ne s'affiche pas", "{} does not show up"),
    ("demande de remplacement pour {}", "replacement request for {}"),
    ("question sur {}", "question about {}"),
    ("{} refuse la connexion", "{} refuses to connect"),
    ("mise à jour de {}", "update of {}"),
]
PLACES = [
    ("au 2e étage", "on the 2nd floor"),
    ("à l'accueil", "at the front desk"),
    ("à l'entrepôt", "at the warehouse"),
    ("sur le site de Lyon", "at the Lyon site"),
    ("au service comptabilité", "in accounting"),
    ("en salle de réunion", "in the meeting room"),
    ("", ""),
]
SENTENCES = [
    (
        "Depuis {day}, {object} affiche le code {code}.",
        "Since {day}, {object} shows code {code}.",
    ),
    (
        "Nous avons redémarré {object} sans succès.",
        "We restarted {object} with no luck.",
    ),
    (
        "Le problème touche {count} collaborateurs.",
        "The problem affects {count} people.",
    ),
    (
        "Pouvez-vous intervenir rapidement, la production est ralentie ?",
        "Could you look into it quickly, production is slowed down?",
    ),
    (
        "La référence de la commande est {reference}.",
        "The order reference is {reference}.",
    ),
    (
        "Merci de nous rappeler au standard.",
        "Please call us back at the switchboard.",
    ),
    (
        "Le message d'erreur mentionne un délai d'attente dépassé.",
        "The error message mentions a timeout.",
    ),
]
DAYS = [("lundi", "Monday"), ("hier", "yesterday"), ("ce matin", "this morning")]
REPLY_SENTENCES = [
    ("Bonjour, nous avons bien reçu votre demande.", "Hello, we have received your request."),
    ("Un technicien passera demain matin.", "A technician will come tomorrow morning."),
    ("Pouvez-vous nous envoyer une capture d'écran ?", "Could you send us a screenshot?"),
    ("La pièce de rechange est commandée.", "The spare part has been ordered."),
    ("Le correctif est déployé, merci de confirmer.", "The fix is deployed, please confirm."),
    ("Nous clôturons la demande faute de retour.", "We are closing the request as we got no news."),
]
PRODUCTS = [f"Gamme {name}" for name in ("Atlas", "Boréal", "Cobalt", "Delta", "Écho", "Flux")]
SIDES = ["Nord", "Sud", "Est", "Ouest"]
PRODUCTS += [f"Model {letter}{number}" for letter in "KMX" for number in (100, 200, 300, 500)]


def _french(rng: random.Random) -> bool:
    return rng.random() < 0.6


def _titles(rng: random.Random) -> list[str]:
    titles = set()
    while len(titles) < TITLES:
        language = 0 if _french(rng) else 1
        thing = rng.choice(OBJECTS)[language]
        problem = rng.choice(PROBLEMS)[language].format(thing)
        place = rng.choice(PLACES)[language]
        suffix = f" ({rng.choice(PRODUCTS)})" if rng.random() < 0.3 else ""
        titles.add(f"{problem[0].upper()}{problem[1:]} {place}{suffix}".replace("  ", " "))
    return sorted(titles)


def _descriptions(rng: random.Random) -> list[str]:
    descriptions = []
    for _ in range(DESCRIPTIONS):
        language = 0 if _french(rng) else 1
        sentences = rng.sample(SENTENCES, rng.randint(2, 4))
        descriptions.append(
            " ".join(
                pair[language].format(
                    day=rng.choice(DAYS)[language],
                    object=rng.choice(OBJECTS)[language],
                    code=f"E-{rng.randint(1000, 9999)}",
                    count=rng.randint(2, 40),
                    reference=f"CMD-{rng.randint(100_000, 999_999)}",
                )
                for pair in sentences
            )
        )
    return descriptions


def _replies(rng: random.Random) -> list[str]:
    replies = []
    for _ in range(REPLIES):
        language = 0 if _french(rng) else 1
        replies.append(
            " ".join(pair[language] for pair in rng.sample(REPLY_SENTENCES, rng.randint(1, 3)))
        )
    return replies


@dataclass(frozen=True)
class Person:
    user_id: uuid.UUID
    email: str


@dataclass(frozen=True)
class LoadedTickets:
    total: int
    big_organisation: int
    statuses: dict[str, int]
    """Tickets of the big organisation per status."""
    reads: int
    seconds: float


def _new_id(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _people(rng: random.Random, organisation: int, count: int) -> list[Person]:
    return [Person(_new_id(rng), f"user{index}@org{organisation}.test") for index in range(count)]


def _weighted(rng: random.Random, weights: dict[str, int] | dict[Priority, int]) -> str:
    return str(rng.choices(list(weights), weights=list(weights.values()))[0])


@dataclass(frozen=True)
class Lifecycle:
    status: str
    received_at: dt.datetime | None
    first_response_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    updated_at: dt.datetime


def _lifecycle(rng: random.Random, opened: dt.datetime, now: dt.datetime) -> Lifecycle:
    """Received within hours, resolved within days (a few within months), closed a week
    later; the status is where the ticket is now."""
    received = opened + dt.timedelta(hours=rng.expovariate(1 / 2))
    responded = received + dt.timedelta(hours=rng.expovariate(1 / 6))
    mean_days = 60 if rng.random() < 0.03 else 5
    resolved = responded + dt.timedelta(days=rng.expovariate(1 / mean_days))
    closed = resolved + dt.timedelta(days=7)
    if now < received:
        return Lifecycle("new", None, None, None, None, opened)
    if now < resolved:
        status = rng.choices(["open", "in_progress", "waiting_for_customer"], [25, 50, 25])[0]
        first_response = responded if now >= responded and status != "open" else None
        updated = opened + (now - opened) * rng.random()
        return Lifecycle(status, received, first_response, None, None, max(updated, received))
    if now < closed:
        return Lifecycle("resolved", received, responded, resolved, None, resolved)
    return Lifecycle("closed", received, responded, resolved, closed, closed)


class _Generator:
    def __init__(self, big_organisation: uuid.UUID, customer: Person) -> None:
        self.rng = random.Random(SEED)
        rng = self.rng
        self.now = dt.datetime.now(dt.UTC)
        self.big_organisation = big_organisation
        self.customer = customer
        others = [_new_id(rng) for _ in range(OTHER_ORGANISATIONS)]
        self.organisations = [big_organisation, *others]
        self.others = others
        # The big organisation's tickets are spread over the whole period; the others' sizes
        # follow a Zipf-like law: a few large customers, many small ones.
        self.big_positions = set(rng.sample(range(TOTAL_TICKETS), BIG_ORGANISATION_TICKETS))
        other_weights = [1 / (rank + 20) for rank in range(OTHER_ORGANISATIONS)]
        self.weights = list(itertools.accumulate(other_weights))
        self.people: dict[uuid.UUID, list[Person]] = {
            big_organisation: [
                customer,
                *_people(rng, 0, PEOPLE_IN_BIG_ORGANISATION - 1),
            ]
        }
        for index, organisation in enumerate(others, start=1):
            self.people[organisation] = _people(rng, index, 3 + int(60 * other_weights[index - 1]))
        self.sites = {
            organisation: [f"Site {rng.choice(SIDES)} {n}" for n in range(3)]
            for organisation in self.organisations
        }
        self.agents = [_new_id(rng) for _ in range(AGENTS)]
        self.statuses: Counter[str] = Counter()

    def opened_times(self) -> list[dt.datetime]:
        span = dt.timedelta(days=365 * YEARS).total_seconds()
        seconds = sorted(self.rng.uniform(0, span) for _ in range(TOTAL_TICKETS))
        start = self.now - dt.timedelta(seconds=span)
        return [start + dt.timedelta(seconds=value) for value in seconds]

    def rows(
        self, opened_times: Sequence[dt.datetime], first_number: int
    ) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
        """Staged tickets and the reads of their requesters (and of the customer)."""
        rng = self.rng
        tickets, reads = [], []
        others = rng.choices(self.others, cum_weights=self.weights, k=len(opened_times))
        for offset, (opened, other) in enumerate(zip(opened_times, others, strict=True)):
            big = first_number - FIRST_NUMBER + offset in self.big_positions
            organisation = self.big_organisation if big else other
            ticket_id = _new_id(rng)
            priority = _weighted(rng, PRIORITIES)
            life = _lifecycle(rng, opened, self.now)
            requester = rng.choice(self.people[organisation])
            messages = 0 if life.status == "new" else rng.choices(MESSAGES, MESSAGE_WEIGHTS)[0]
            if organisation == self.big_organisation:
                self.statuses[life.status] += 1
            tickets.append(
                (
                    ticket_id,
                    organisation,
                    first_number + offset,
                    rng.randrange(TITLES),
                    rng.randrange(DESCRIPTIONS),
                    rng.randrange(REPLIES) if messages else None,
                    priority,
                    life.status,
                    requester.email,
                    opened,
                    life.updated_at,
                    2 + messages + (life.resolved_at is not None) + (life.closed_at is not None),
                    requester.user_id,
                    requester.user_id,
                    _weighted(rng, TYPES),
                    _weighted(rng, DEPARTMENTS),
                    rng.choice(self.agents) if life.status != "new" else None,
                    rng.choice(PRODUCTS) if rng.random() < 0.7 else None,
                    rng.choice(self.sites[organisation]) if rng.random() < 0.5 else None,
                    rng.choice(list(Nature)).value if rng.random() < 0.5 else None,
                    rng.choice(list(Severity)).value if rng.random() < 0.5 else None,
                    opened + dt.timedelta(hours=FIRST_RESPONSE_HOURS[Priority(priority)]),
                    opened + dt.timedelta(hours=RESOLUTION_HOURS[Priority(priority)]),
                    life.received_at,
                    life.first_response_at,
                    life.resolved_at,
                    life.closed_at,
                    messages,
                )
            )
            if messages:
                # The requester read all but, sometimes, the agent's last reply.
                read = messages - (rng.random() < 0.2)
                reads.append((requester.user_id, ticket_id, read))
                if (
                    organisation == self.big_organisation
                    and requester != self.customer
                    and rng.random() < 0.03
                ):
                    reads.append((self.customer.user_id, ticket_id, messages))
        return tickets, reads


STAGED_COLUMNS = (
    "ticket_id",
    "organisation_id",
    "number",
    "title_id",
    "description_id",
    "reply_id",
    "priority",
    "status",
    "requester_email",
    "opened_at",
    "updated_at",
    "version",
    "requester_id",
    "opened_by",
    "ticket_type",
    "department",
    "assignee_id",
    "product",
    "site",
    "nature",
    "severity",
    "first_response_due_at",
    "resolution_due_at",
    "received_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "public_messages",
)
COPIED = [c for c in STAGED_COLUMNS if c not in ("title_id", "description_id", "reply_id")]


async def _text_pools(connection: asyncpg.Connection) -> None:
    rng = random.Random(SEED + 1)
    for table, texts in (
        ("bench_titles", _titles(rng)),
        ("bench_descriptions", _descriptions(rng)),
        ("bench_replies", _replies(rng)),
    ):
        await connection.execute(
            f"CREATE UNLOGGED TABLE {table} (id int PRIMARY KEY, body text NOT NULL,"
            " vector tsvector)"
        )
        await connection.copy_records_to_table(
            table, records=list(enumerate(texts)), columns=["id", "body"]
        )
        await connection.execute(f"UPDATE {table} SET vector = ticket_text_vector(body)")


async def secondary_indexes(
    connection: asyncpg.Connection, table: str = "tickets"
) -> list[tuple[str, str]]:
    """A table's indexes that back no constraint, (name, definition): dropped during a bulk
    load and rebuilt from their definitions after it."""
    rows = await connection.fetch(
        "SELECT i.relname AS name, pg_get_indexdef(x.indexrelid) AS definition"
        " FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
        " WHERE x.indrelid = $1::regclass"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
        table,
    )
    return [(row["name"], row["definition"]) for row in rows]


def _chunks(values: Sequence[dt.datetime]) -> Iterator[tuple[int, Sequence[dt.datetime]]]:
    for start in range(0, len(values), CHUNK):
        yield start, values[start : start + CHUNK]


async def load(
    connection: asyncpg.Connection, organisation_id: uuid.UUID, customer: Person
) -> LoadedTickets:
    """Fill tickets' read model (the connection's search_path is tickets' schema)."""
    loop_started = dt.datetime.now(dt.UTC)
    generator = _Generator(organisation_id, customer)
    await _text_pools(connection)
    indexes = await secondary_indexes(connection)
    for name, _ in indexes:
        await connection.execute(f"DROP INDEX {name}")
    await connection.execute(
        "CREATE UNLOGGED TABLE bench_staged_tickets AS"
        f" SELECT {', '.join(COPIED)}, 0 AS title_id, 0 AS description_id,"
        " NULL::int AS reply_id FROM tickets WITH NO DATA"
    )
    await connection.execute(
        "CREATE UNLOGGED TABLE bench_staged_reads AS SELECT * FROM ticket_reads WITH NO DATA"
    )
    reads = 0
    for start, opened in _chunks(generator.opened_times()):
        tickets, chunk_reads = generator.rows(opened, FIRST_NUMBER + start)
        await connection.copy_records_to_table(
            "bench_staged_tickets", records=tickets, columns=list(STAGED_COLUMNS)
        )
        await connection.copy_records_to_table("bench_staged_reads", records=chunk_reads)
        reads += len(chunk_reads)
    people = [
        (person.user_id, person.email, "Prénom", f"Nom {index}")
        for persons in generator.people.values()
        for index, person in enumerate(persons)
        if person != customer
    ]
    await connection.copy_records_to_table(
        "people", records=people, columns=["user_id", "email", "first_name", "last_name"]
    )
    await connection.execute(
        f"INSERT INTO tickets ({', '.join(COPIED)}, title, description, search_vector)"
        f" SELECT {', '.join('s.' + c for c in COPIED)}, t.body, d.body,"
        " setweight(t.vector, 'A') || d.vector || coalesce(r.vector, ''::tsvector)"
        " FROM bench_staged_tickets s"
        " JOIN bench_titles t ON t.id = s.title_id"
        " JOIN bench_descriptions d ON d.id = s.description_id"
        " LEFT JOIN bench_replies r ON r.id = s.reply_id"
        " ORDER BY s.number"
    )
    await connection.execute("INSERT INTO ticket_reads SELECT * FROM bench_staged_reads")
    await connection.execute("SELECT setval('ticket_number', (SELECT max(number) FROM tickets))")
    for table in ("bench_staged_tickets", "bench_staged_reads", "bench_titles"):
        await connection.execute(f"DROP TABLE {table}")
    await connection.execute("DROP TABLE bench_descriptions, bench_replies")
    for _, definition in indexes:
        await connection.execute(definition)
    for table in ("tickets", "ticket_reads", "people"):
        await connection.execute(f"VACUUM ANALYZE {table}")
    seconds = (dt.datetime.now(dt.UTC) - loop_started).total_seconds()
    return LoadedTickets(
        total=await connection.fetchval("SELECT count(*) FROM tickets"),
        big_organisation=await connection.fetchval(
            "SELECT count(*) FROM tickets WHERE organisation_id = $1", organisation_id
        ),
        statuses=dict(generator.statuses),
        reads=reads,
        seconds=seconds,
    )
