"""Redaction of dates of birth, bank details, number plates, passports and references."""

from __future__ import annotations

import pytest

from handlers.texts import REDACTION_KINDS
from nlp.redact import load_rules, redact

PLACEHOLDERS = load_rules()["placeholders"]

FOUND = [
    # dates of birth: only when the words around say birth
    ("DOB 12/03/1985", "12/03/1985", "dob"),
    ("my D.O.B. is 12-03-1985, thanks", "12-03-1985", "dob"),
    ("I was born on 3rd March 1985 in Leeds", "3rd March 1985", "dob"),
    ("date of birth: 12.3.85", "12.3.85", "dob"),
    ("born 1985-03-12 so over 40", "1985-03-12", "dob"),
    ("her birthday is March 3rd, 1985", "March 3rd, 1985", "dob"),
    ("Date of birth 3 Mar 85", "3 Mar 85", "dob"),
    ("DOB is the 3rd of March 1985", "3rd of March 1985", "dob"),
    ("I was born in March 1985 here", "March 1985", "dob"),
    ("DOB: 03031985", "03031985", "dob"),
    # bank details
    ("sort code 20-00-00 please refund", "20-00-00", "bank"),
    ("sort code is 20 00 00, account no. 1234 5678", "20 00 00, account no. 1234 5678", "bank"),
    ("my account number is 12345678 with them", "12345678", "bank"),
    ("bank account: 8765 4321", "8765 4321", "bank"),
    ("IBAN GB82 WEST 1234 5698 7654 32 thanks", "GB82 WEST 1234 5698 7654 32", "bank"),
    ("pay into DE89370400440532013000 now", "DE89370400440532013000", "bank"),
    # vehicle registrations
    ("my car AB12 CDE was towed", "AB12 CDE", "vehicle"),
    ("a van LK70XYZ blocked the drive", "LK70XYZ", "vehicle"),
    ("number plate A123 BCD", "A123 BCD", "vehicle"),
    ("the reg was ABC 123D", "ABC 123D", "vehicle"),
    ("My reg is ab12 cde", "ab12 cde", "vehicle"),
    # passports
    ("passport number 123456789", "123456789", "passport"),
    ("Passport no: AB1234567 expired", "AB1234567", "passport"),
    # other account and reference numbers
    ("council tax account 12345678 is wrong", "12345678", "reference"),
    ("ref: AB/12345/X", "AB/12345/X", "reference"),
    ("customer number CU123456 on the letter", "CU123456", "reference"),
    ("case number 2024-00123 was closed", "2024-00123", "reference"),
    ("my reference is HB-99812 for housing benefit", "HB-99812", "reference"),
    ("crime reference 4512/23/AB", "4512/23/AB", "reference"),
    ("housing benefit claim 1234567", "1234567", "reference"),
    ("case HB-2023-0451 went nowhere", "HB-2023-0451", "reference"),
    ("the PCN AB12345678 was wrong", "AB12345678", "reference"),
    ("booking ref XJ4K9P for the hall", "XJ4K9P", "reference"),
    ("Hospital number RX1 228 4410 please", "RX1 228 4410", "reference"),
    ("ref CT 7781 2290 thanks", "CT 7781 2290", "reference"),
    ("sort 20-00-00 for the refund", "20-00-00", "bank"),
    ("my passport 123 456 789 is at home", "123 456 789", "passport"),
]


@pytest.mark.parametrize(("text", "evidence", "kind"), FOUND)
def test_identifier_is_found(text: str, evidence: str, kind: str) -> None:
    r = redact(text)
    assert [(f.kind, f.text) for f in r.spans] == [(kind, evidence)]
    assert r.text == text.replace(evidence, PLACEHOLDERS[kind])


KEPT = [
    # dates that are not birth dates, years, times
    "appointment on 12/03/2024 at 8.30",
    "I was seen on 3rd March 2024, born and raised here",
    "the letter dated 12.03.2024 came late",
    "they have been open since 1985",
    "the 8.30 bus and the 42 were both late",
    "from 9-5 on weekdays",
    # prices, rooms, buses, counts
    "it cost £12.50 for 2 hours, room 12 on floor 3",
    "the X42 and the 7A were cancelled",
    "council tax 2024/25 went up by £120",
    "my account since 2019 has been fine",
    "I referred to page 12",
    "my reference is #12, or ref 4471",
    "the sort code field on the form is broken",
    "the passport office was helpful",
    # words and shouting that look a bit like plates or codes
    "I AM SO ANGRY ABOUT THIS",
    "the NHS and the DVLA and the BBC",
    "A12 road works and the M25 again",
    "we parked the car at 10 and left at 11",
    "my car is 12 years old",
    "in case 3 people come, the ticket 2 weeks ago",
    "a fine of £100 on 12/03 and my claim for 2024/25",
    "the case was 2nd on the list, ref AB12",
    "my ref is 12 34, meet at 5 - 6 - 7 pm, it is 5 . 30 @ home",
    "the ref is on the letter, it is 441 people long",
    "we moved here in March 1985",
]


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_text_is_kept(text: str) -> None:
    r = redact(text)
    assert r.text == text, r.spans


def test_titled_names_without_spaces_are_names_not_identifiers() -> None:
    # The name detector takes "Dr.Patel" for the name it is; no identifier rule fires.
    r = redact("Dr.Patel/Dr.Jones were on duty")
    assert [(f.kind, f.text) for f in r.spans] == [("name", "Patel"), ("name", "Jones")]


def test_invalid_iban_is_kept() -> None:
    # The check digits are wrong, so this is not a bank account.
    text = "code GB00 WEST 1234 5698 7654 32 on the form"
    assert all(f.kind != "bank" for f in redact(text).spans)


def test_every_kind_has_words_for_moderators() -> None:
    assert set(PLACEHOLDERS) <= set(REDACTION_KINDS)
