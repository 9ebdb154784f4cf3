"""Password policy, checks and hashing (services/identity/passwords/): pure code, no servers."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import shutil
import statistics
import subprocess
import threading
import time
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from services.identity.passwords import (
    DEFAULT_SPECIAL_CHARACTERS,
    CorruptPasswordHash,
    HashingParameters,
    PasswordHasher,
    PasswordPolicy,
    PasswordRuleId,
    check_password,
    is_common,
    normalize,
    password_expired,
)

R = PasswordRuleId
GOOD = "Kx7!vqzr"  # meets the default policy, common nowhere, personal to nobody
DUPONT = ("d.dupont@defi.fr", "DUPD001", "Didier", "Dupont")


def rules(policy: PasswordPolicy, password: str, personal: tuple[str, ...] = ()) -> list[str]:
    return [
        violation.rule.value for violation in check_password(policy, password, personal=personal)
    ]


# --- the policy and its checklist --------------------------------------------------------------


def test_default_policy_is_the_screen_users_know():
    """Seed 000: at least 8 characters, a digit 0-9, an upper-case letter, one of $?!&%*@."""
    checklist = PasswordPolicy().checklist()
    assert [rule.id for rule in checklist.rules] == [
        R.MIN_LENGTH,
        R.DIGIT,
        R.UPPER_CASE,
        R.SPECIAL,
        R.MAX_LENGTH,
        R.NOT_COMMON,
        R.NOT_PERSONAL,
    ]
    french = [rule.description.fr for rule in checklist.rules[:4]]
    assert french == [
        "Contient au moins 8 caractères",
        "Contient au moins un chiffre entre 0 et 9",
        "Contient au moins une majuscule",
        "Contient un des caractères suivants\u00a0: $, ?, !, &, %, *, @",
    ]
    assert all(rule.description.en for rule in checklist.rules)
    assert checklist.normalization == "NFKC"
    by_id = {rule.id: rule for rule in checklist.rules}
    assert by_id[R.MIN_LENGTH].min_length == 8
    assert by_id[R.MAX_LENGTH].max_length == 128
    assert by_id[R.DIGIT].pattern == "[0-9]"
    assert by_id[R.SPECIAL].pattern == "[$?!&%*@]"
    # The server-only rules carry nothing a client could check.
    assert not by_id[R.NOT_COMMON].client_checkable
    assert not by_id[R.NOT_PERSONAL].client_checkable
    assert by_id[R.SPECIAL].client_checkable


def test_checklist_follows_a_stricter_vendor_policy():
    policy = PasswordPolicy(min_length=12, require_lower_case=True, special_characters="#-_")
    checklist = policy.checklist()
    by_id = {rule.id: rule for rule in checklist.rules}
    assert by_id[R.MIN_LENGTH].min_length == 12
    assert by_id[R.MIN_LENGTH].description.fr == "Contient au moins 12 caractères"
    assert R.LOWER_CASE in by_id
    assert by_id[R.SPECIAL].description.en.endswith("#, -, _")
    assert by_id[R.SPECIAL].pattern == r"[#\-_]"


def test_checklist_leaves_out_rules_the_policy_does_not_require():
    policy = PasswordPolicy(require_digit=False, require_upper_case=False, require_special=False)
    assert [rule.id for rule in policy.checklist().rules] == [
        R.MIN_LENGTH,
        R.MAX_LENGTH,
        R.NOT_COMMON,
        R.NOT_PERSONAL,
    ]


@pytest.mark.parametrize(
    "settings_",
    [
        {"min_length": 7},  # weaker than the default
        {"min_length": 65},  # above what every policy must accept
        {"max_length": 63},  # NIST: accept at least 64
        {"max_length": 1025},  # hashing cost unbounded
        {"special_characters": "$a"},  # a letter is not special
        {"special_characters": "$1"},
        {"special_characters": "$ "},
        {"special_characters": "$$"},
        {"special_characters": "\uff01"},  # full-width "!", NFKC turns it into "!"
        {"special_characters": "\U0001f600"},  # two UTF-16 units in JavaScript
        {"special_characters": ""},  # required but none given
        {"max_age_days": 0},
        {"unknown_setting": True},
    ],
)
def test_policy_refuses_weak_or_absurd_settings(settings_):
    with pytest.raises(ValidationError):
        PasswordPolicy(**settings_)


def test_policy_is_frozen_and_common_password_refusal_cannot_be_turned_off():
    policy = PasswordPolicy()
    with pytest.raises(ValidationError):
        policy.min_length = 4  # type: ignore[misc]
    with pytest.raises(ValidationError):
        PasswordPolicy(refuse_common=False)  # type: ignore[call-arg]
    assert PasswordPolicy(require_special=False, special_characters="").special_characters == ""


# --- each rule ---------------------------------------------------------------------------------


def test_a_password_meeting_every_rule_is_accepted():
    assert check_password(PasswordPolicy(), GOOD, personal=DUPONT) == []
    assert check_password(PasswordPolicy(), "Èté-à-Nîmes_2024&lavande") == []


@pytest.mark.parametrize(
    ("password", "broken"),
    [
        ("Kx7!vqz", "min_length"),
        ("Kxb!vqzr", "digit"),
        ("kx7!vqzr", "upper_case"),
        ("Kx7#vqzr", "special"),  # "#" is not one of $?!&%*@
        ("Kx7!" + "vqzrw" * 25, "max_length"),  # 129 characters
    ],
)
def test_each_rule_alone_refuses(password, broken):
    assert rules(PasswordPolicy(), password) == [broken]


def test_lower_case_when_the_vendor_requires_it():
    policy = PasswordPolicy(require_lower_case=True)
    assert rules(policy, "KX7!VQZR") == ["lower_case"]
    assert rules(policy, "KX7!VQZé") == []
    assert rules(PasswordPolicy(), "KX7!VQZR") == []


def test_upper_case_includes_french_capitals():
    for capital in "ÉÈÀÇÔŒŸ":
        assert rules(PasswordPolicy(), f"x7!vqzr{capital}") == [], capital


def test_violations_come_in_checklist_order_with_both_languages():
    violations = check_password(PasswordPolicy(), "dupont", personal=DUPONT)
    assert [violation.rule for violation in violations] == [
        R.MIN_LENGTH,
        R.DIGIT,
        R.UPPER_CASE,
        R.SPECIAL,
        R.NOT_PERSONAL,
    ]
    first = violations[0].message
    assert first.fr == "Le mot de passe doit contenir au moins 8 caractères."
    assert first.in_language("en") == "The password must contain at least 8 characters."


def test_stricter_vendor_policy():
    policy = PasswordPolicy(
        min_length=12, require_lower_case=True, special_characters="#-_", max_length=64
    )
    assert rules(policy, "Kx7#vqzrwtyu") == []
    assert rules(policy, "Kx7#vqzrwty") == ["min_length"]
    assert rules(policy, "Kx7!vqzrwtyu") == ["special"]  # "!" is not in this vendor's set
    assert rules(policy, "KX7#VQZRWTYU") == ["lower_case"]
    assert rules(policy, "Kx7#" + "vqzrw" * 13) == ["max_length"]


# --- common passwords --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "P@ssw0rd1",  # "p@ssw0rd" is in the list as such; the trailing 1 is decoration
        "Azerty123!",  # "azerty123" and "azerty" are in the list
        "Motdepasse1!",  # "motdepasse" is
        "Password1!",
        "Passw0rd!",  # leetspeak of "password"
        "Soleil2024!",
        "!!Bonjour1",
        "$Oleil2024",  # "$" for "s"
        "Iloveyou1!",
        "Qwertyuiop1!",
        "Marseille13!",
    ],
)
def test_common_passwords_are_refused_even_when_they_meet_every_rule(password):
    assert rules(PasswordPolicy(), password) == ["not_common"]


def test_common_passwords_refused_whatever_the_policy():
    lax = PasswordPolicy(require_digit=False, require_upper_case=False, require_special=False)
    assert rules(lax, "sunshine") == ["not_common"]
    assert rules(lax, "FOOTBALL") == ["not_common"]  # case folded


def test_long_passphrases_of_common_words_are_not_common():
    assert not is_common("Correct-Horse-7-Battery!")
    assert not is_common(GOOD)
    assert rules(PasswordPolicy(), "Soleil!Bonjour7Marseille") == []


# --- personal information ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "Dupont2024!",  # last name (also the email's local part)
        "xD.DUPONT7!",  # the whole local part, any case
        "Dup0nt!2024",  # leetspeak
        "Didier!2024X",  # first name
        "Kx7!dupd001",  # user code
    ],
)
def test_personal_information_is_refused(password):
    assert rules(PasswordPolicy(), password, DUPONT) == ["not_personal"]


def test_personal_information_ignores_accents_and_short_parts():
    assert rules(PasswordPolicy(), "Helene!2024X", ("Hélène",)) == ["not_personal"]
    assert rules(PasswordPolicy(), "Hélène!2024X", ("HELENE",)) == ["not_personal"]
    # Shorter than 4 characters: too many good passwords would contain it.
    assert rules(PasswordPolicy(), "Kx7!Livqzr", ("Li", "l.li@example.com")) == []
    # The email's domain belongs to the whole organisation.
    assert rules(PasswordPolicy(), "Defi!2024xyz", ("d.dupont@defi.fr",)) == []
    # Compound names count as a whole and by part.
    assert rules(PasswordPolicy(), "Pierre!2024X", ("Jean-Pierre",)) == ["not_personal"]


def test_personal_must_be_a_sequence_of_strings():
    with pytest.raises(TypeError):
        check_password(PasswordPolicy(), GOOD, personal="dupont")  # type: ignore[arg-type]


# --- Unicode -----------------------------------------------------------------------------------


def test_passwords_are_checked_after_nfkc_normalisation():
    full_width = "\uff2b\uff58\uff17\uff01\uff56\uff51\uff5a\uff52"  # "Kx7!vqzr" in full width
    assert normalize(full_width) == GOOD
    assert rules(PasswordPolicy(), full_width) == []
    # The "ﬁ" ligature is two characters once normalised: 7 typed, 8 counted.
    assert rules(PasswordPolicy(), "K7!vqz\ufb01") == []
    assert rules(PasswordPolicy(), "K7!vqzf") == ["min_length"]
    # A decomposed "é" is the composed one.
    decomposed = unicodedata.normalize("NFD", "Été7!vqzr")
    assert check_password(PasswordPolicy(), decomposed) == check_password(
        PasswordPolicy(), "Été7!vqzr"
    )


# --- property tests ----------------------------------------------------------------------------

_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_SPECIAL_CANDIDATES = "$?!&%*@#-_+=.,;:/\\()[]{}^|~'\"<>"


@st.composite
def policies(draw: st.DrawFn) -> PasswordPolicy:
    special = draw(
        st.lists(st.sampled_from(_SPECIAL_CANDIDATES), min_size=1, max_size=8, unique=True)
    )
    return PasswordPolicy(
        min_length=draw(st.integers(8, 24)),
        require_digit=draw(st.booleans()),
        require_upper_case=draw(st.booleans()),
        require_lower_case=draw(st.booleans()),
        require_special=draw(st.booleans()),
        special_characters="".join(special),
    )


@st.composite
def policy_and_compliant_password(draw: st.DrawFn) -> tuple[PasswordPolicy, str]:
    policy = draw(policies())
    parts = [
        draw(st.sampled_from("0123456789")),
        draw(st.sampled_from(_LETTERS.upper() + "ÉÀÇ")),
        draw(st.sampled_from(_LETTERS + "éàç")),
        draw(st.sampled_from(policy.special_characters)),
    ]
    filler = draw(st.text(alphabet=_LETTERS + _LETTERS.upper() + "0123456789", min_size=0))
    parts += list(filler)
    while len(parts) < policy.min_length:
        parts.append(draw(st.sampled_from(_LETTERS)))
    return policy, "".join(draw(st.permutations(parts)))[: policy.max_length]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(policy_and_compliant_password())
def test_a_password_built_to_meet_the_policy_is_accepted_unless_common(drawn):
    policy, password = drawn
    expected = ["not_common"] if is_common(password) else []
    assert rules(policy, password) == expected


@settings(max_examples=300)
@given(policies(), st.text(max_size=40), st.lists(st.text(max_size=12), max_size=3))
def test_violations_are_deterministic_and_see_through_normalisation(policy, password, personal):
    first = check_password(policy, password, personal=personal)
    assert check_password(policy, password, personal=personal) == first
    assert check_password(policy, normalize(password), personal=personal) == first
    assert len({violation.rule for violation in first}) == len(first)


_TRICKY_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(_SPECIAL_CANDIDATES + "09AZaz ÀÖ\u00d7ØÞßö÷øÿŒœŸĀ"),
        st.characters(codec="utf-8"),
    ),
    max_size=30,
)


@settings(max_examples=400)
@given(policies(), _TRICKY_TEXT)
def test_client_patterns_agree_with_the_server(policy, password):
    """What a form ticks (the checklist's patterns and lengths, on the NFKC form) is what
    check_password decides, rule by rule."""
    normalized = normalize(password)
    broken = {violation.rule for violation in check_password(policy, password)}
    for rule in policy.checklist().rules:
        if rule.pattern is not None:
            passes = re.search(rule.pattern, normalized) is not None
        elif rule.min_length is not None:
            passes = len(normalized) >= rule.min_length
        elif rule.max_length is not None:
            passes = len(normalized) <= rule.max_length
        else:
            continue
        assert passes == (rule.id not in broken), (rule.id, normalized)


def test_client_patterns_agree_in_javascript():
    """The same patterns compiled by Node, with no flag, the u flag and the v flag."""
    # ./guichet installs Node for the mail catcher, so a missing one is a broken machine.
    node = shutil.which("node")
    assert node is not None, "node is needed (./guichet installs it for the mail catcher)"
    policies_ = [
        PasswordPolicy(require_lower_case=True),
        PasswordPolicy(special_characters="\\]^-[(){}/|$.*+?&!#"),
    ]
    patterns = sorted(
        {
            rule.pattern
            for policy in policies_
            for rule in policy.checklist().rules
            if rule.pattern is not None
        }
    )
    samples = [
        "",
        "a",
        "A",
        "É",
        "é",
        "ß",
        "\u00d7",  # multiplication sign, between Ö and Ø
        "÷",
        "Œ",
        "œ",
        "Ÿ",
        "ÿ",
        "Ā",
        "5",
        "٣",
        *"\\]^-[(){}/|$.*+?&!#%@~",
        "x😀y",
    ]
    script = """
const [patterns, samples, flags] = JSON.parse(require("fs").readFileSync(0, "utf8"));
const out = {};
for (const flag of flags)
  out[flag] = patterns.map(p => samples.map(s => new RegExp(p, flag).test(s)));
console.log(JSON.stringify(out));
"""
    flags = ["", "u", "v"]
    result = subprocess.run(
        [node, "-e", script],
        input=json.dumps([patterns, samples, flags]),
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    in_javascript = json.loads(result.stdout)
    in_python = [[re.search(p, s) is not None for s in samples] for p in patterns]
    for flag in flags:
        assert in_javascript[flag] == in_python, flag


# --- expiry ------------------------------------------------------------------------------------


def test_password_expiry():
    now = dt.datetime(2025, 6, 1, 12, tzinfo=dt.UTC)
    never = PasswordPolicy()
    quarterly = PasswordPolicy(max_age_days=90)
    assert not password_expired(never, now - dt.timedelta(days=5000), now)
    assert not password_expired(quarterly, now - dt.timedelta(days=89, hours=23), now)
    assert password_expired(quarterly, now - dt.timedelta(days=90), now)
    paris = dt.timezone(dt.timedelta(hours=2))
    assert password_expired(quarterly, (now - dt.timedelta(days=91)).astimezone(paris), now)
    with pytest.raises(ValueError, match="timezone-aware"):
        password_expired(quarterly, dt.datetime(2025, 1, 1), now)


# --- hashing -----------------------------------------------------------------------------------

# The cheapest parameters OWASP accepts, so tests that are not about the cost run fast.
CHEAP = HashingParameters(memory_cost_kib=19_456, time_cost=2)


@pytest.fixture(scope="module")
def hasher() -> PasswordHasher:
    return PasswordHasher()


@pytest.fixture(scope="module")
def cheap() -> PasswordHasher:
    return PasswordHasher(CHEAP)


def test_hash_round_trip_at_the_default_parameters(hasher):
    stored = hasher.hash(GOOD)
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=1$")
    assert GOOD not in stored
    assert hasher.verify(stored, GOOD) is True
    assert hasher.verify(stored, "Kx7!vqzR") is False
    assert hasher.hash(GOOD) != stored  # salted
    assert not hasher.needs_rehash(stored)


def test_verification_sees_through_normalisation(cheap):
    stored = cheap.hash("Été7!vqzr")
    assert cheap.verify(stored, unicodedata.normalize("NFD", "Été7!vqzr"))
    assert cheap.verify(cheap.hash("K7!vqz\ufb01"), "K7!vqzfi")


def test_needs_rehash_when_the_parameters_are_raised(cheap, hasher):
    old = cheap.hash(GOOD)
    assert not cheap.needs_rehash(old)
    assert hasher.needs_rehash(old)
    assert hasher.verify(old, GOOD)  # old hashes keep working until rehashed
    assert not hasher.needs_rehash(hasher.hash(GOOD))


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "not a hash",
        "$argon2x$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaA",
        "$argon2id$v=19$m=19456,t=2,p=1$AAAA$BBBB",  # hash too short
        "$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
        "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",  # asks for 4 GiB
    ],
)
def test_a_corrupt_hash_raises_rather_than_answering(cheap, stored):
    with pytest.raises(CorruptPasswordHash):
        cheap.verify(stored, GOOD)


def test_a_truncated_hash_raises(cheap):
    with pytest.raises(CorruptPasswordHash):
        cheap.verify(cheap.hash(GOOD)[:-6], GOOD)
    with pytest.raises(CorruptPasswordHash):
        cheap.needs_rehash("not a hash")


def test_oversized_passwords_are_not_hashed_and_never_verify(cheap):
    huge = "Kx7!" * 300
    with pytest.raises(ValueError, match="at most"):
        cheap.hash(huge)
    assert cheap.verify(cheap.hash(GOOD), huge) is False


@pytest.mark.parametrize(
    ("memory", "passes", "accepted"),
    [
        (19_456, 2, True),
        (47_104, 1, True),
        (7_168, 5, True),
        (65_536, 3, True),
        (19_455, 2, False),
        (46_000, 1, False),
        (8_192, 4, False),
    ],
)
def test_hashing_parameters_are_at_least_owasp(memory, passes, accepted):
    if accepted:
        HashingParameters(memory_cost_kib=memory, time_cost=passes)
    else:
        with pytest.raises(ValidationError):
            HashingParameters(memory_cost_kib=memory, time_cost=passes)


def _median_cpu_seconds(*actions, runs: int = 5) -> list[float]:
    """Each action's median cost in this process's CPU time, the actions taking turns: what
    other processes do on the machine (the tests run side by side) changes neither."""
    durations: list[list[float]] = [[] for _ in actions]
    for _ in range(runs):
        for action, spent in zip(actions, durations, strict=True):
            start = time.process_time()
            action()
            spent.append(time.process_time() - start)
    return [statistics.median(spent) for spent in durations]


def test_unknown_accounts_cost_a_real_verification(hasher):
    """No account enumeration by timing: verify(None, ...) is False and takes as long as a
    verification of a real account's hash (loose bounds: the machine is shared)."""
    stored = hasher.hash(GOOD)
    assert hasher.verify(None, GOOD) is False
    assert hasher.verify(None, "") is False
    real, unknown = _median_cpu_seconds(
        lambda: hasher.verify(stored, "wrong password"),
        lambda: hasher.verify(None, "wrong password"),
    )
    assert 0.5 < unknown / real < 2, (unknown, real)


async def test_async_wrappers_round_trip(cheap):
    stored = await cheap.hash_async(GOOD)
    assert await cheap.verify_async(stored, GOOD)
    assert not await cheap.verify_async(stored, "nope")
    assert not await cheap.verify_async(None, GOOD)


class _CountingHasher(PasswordHasher):
    """The real hasher, counting how many verifications run at once."""

    def __init__(self, concurrency: int) -> None:
        super().__init__(CHEAP, concurrency=concurrency)
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0

    def verify(self, stored_hash: str | None, password: str) -> bool:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            return super().verify(stored_hash, password)
        finally:
            with self.lock:
                self.running -= 1


async def test_a_burst_is_bounded_and_leaves_the_event_loop_free():
    hasher = _CountingHasher(concurrency=2)
    stored = hasher.hash(GOOD)
    lags: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        while not done.is_set():
            start = time.perf_counter()
            await asyncio.sleep(0.005)
            lags.append(time.perf_counter() - start - 0.005)

    ticking = asyncio.create_task(ticker())
    results = await asyncio.gather(*(hasher.verify_async(stored, GOOD) for _ in range(12)))
    done.set()
    await ticking
    assert all(results)
    assert hasher.most == 2
    assert len(lags) > 5
    assert max(lags) < 0.1, max(lags)


def test_concurrency_must_be_positive():
    with pytest.raises(ValueError, match="concurrency"):
        PasswordHasher(CHEAP, concurrency=0)
    assert PasswordHasher(CHEAP).concurrency >= 1


def test_the_hasher_serves_several_event_loops(cheap):
    stored = cheap.hash(GOOD)
    for _ in range(2):
        assert asyncio.run(cheap.verify_async(stored, GOOD))


def test_default_special_characters_are_the_seeds():
    assert DEFAULT_SPECIAL_CHARACTERS == "$?!&%*@"
