"""Addresses as people write them, and shop, brand, show and place names left alone."""

from __future__ import annotations

import pytest

from nlp.keep import KeepList, load_keep
from nlp.redact import Redactor, load_rules, redact

# (text, the address the redactor must remove, exactly)
ADDRESSES = [
    # title case, with the usual street words and their short forms
    ("I live at 12 Elm Road, by the park", "12 Elm Road"),
    ("send it to 3 Larch Cres please", "3 Larch Cres"),
    ("8 Beech Gdns has had no post", "8 Beech Gdns"),
    ("the flooding at 19 Sycamore Ave is back", "19 Sycamore Ave"),
    ("outside 7 St Mary's Close.", "7 St Mary's Close"),
    ("we're at 14 St. John's Rd. now", "14 St. John's Rd"),
    # lower case and capitals
    ("my address is 7 ash grove and the drain is blocked", "7 ash grove"),
    ("40 HIGH ROAD HAS HAD NO COLLECTION", "40 HIGH ROAD"),
    ("bins at 22 copper beech drive, nobody came", "22 copper beech drive"),
    # flats, units, tenements, letters and ranges
    ("flat 2, 40 high road is damp", "flat 2, 40 high road"),
    ("Flat 3B, 12a Mill Lane has mould", "Flat 3B, 12a Mill Lane"),
    ("apt 5 Orchard Court, the lift is broken", "apt 5 Orchard Court"),
    ("2/1, 47 Dalmeny Street needs a repair", "2/1, 47 Dalmeny Street"),
    ("we are at 3F2, 18 Warrender Park Road", "3F2, 18 Warrender Park Road"),
    ("top floor flat, 12 Alder Way leaks", "top floor flat, 12 Alder Way"),
    ("12-14 Church Street are empty", "12-14 Church Street"),
    ("Flat 6, Rowan Court, Mill Lane", "Flat 6, Rowan Court, Mill Lane"),
    # "number 12", "no. 12", a comma after the number
    ("it's number 12 on Mill Street", "number 12 on Mill Street"),
    ("no. 9 Tanner St again", "no. 9 Tanner St"),
    ("meet me at 12, Mill Street", "12, Mill Street"),
    # Welsh and Scots street words, after and before the name
    ("I live at 12 Heol y Felin, Cardiff", "12 Heol y Felin"),
    ("4 Ffordd Las has potholes", "4 Ffordd Las"),
    ("9 Maes yr Haf was missed", "9 Maes yr Haf"),
    ("3 Lôn Goch and 5 Lon Isaf", "3 Lôn Goch"),
    ("12 Pen-y-Bryn has no lights", "12 Pen-y-Bryn"),
    ("at 6 Stryd Fawr", "6 Stryd Fawr"),
    ("2 Bryn Awel, Aberystwyth", "2 Bryn Awel"),
    ("3 Kirk Wynd, Kirkcaldy", "3 Kirk Wynd"),
    ("14 Tolbooth Vennel is dark at night", "14 Tolbooth Vennel"),
    ("21 Castle Brae floods", "21 Castle Brae"),
    ("6 Moss Brow, the bins", "6 Moss Brow"),
    ("8 Chapel Fold again", "8 Chapel Fold"),
    ("33 Sandy Bank", "33 Sandy Bank"),
    ("4 Hill Top has no bus", "4 Hill Top"),
    ("10 Cross Hey, Bootle", "10 Cross Hey"),
    ("Please send to 11 Gwel y Mor, Porthcawl", "11 Gwel y Mor"),
    ("6 Brynteg, Llanelli", "6 Brynteg"),
    ("21 clos yr eos", "21 clos yr eos"),
    # streets with no street word
    ("12 Kingsway is noisy", "12 Kingsway"),
    ("i'm at 23 kirkgate", "23 kirkgate"),
    ("we live at no 7 the paddock", "no 7 the paddock"),
    ("4 The Green, Little Snoring", "4 The Green"),
    ("I live at 12 Coniston, Leeds", "12 Coniston"),
    ("33/2 Leith Walk has no lights", "33/2 Leith Walk"),
    ("5 Glan yr Afon, Bangor", "5 Glan yr Afon"),
    ("12 Mount Pleasant needs gritting", "12 Mount Pleasant"),
    ("12 Riverside, Leeds", "12 Riverside"),
    ("12 Station Road North, Leeds", "12 Station Road North"),
    ("12 Elm Road's bins were missed", "12 Elm Road"),
    ("flat two, 40 high road", "flat two, 40 high road"),
    ("7 elm close ls1 4ab", "7 elm close"),
    ("number twelve on Mill Street", "number twelve on Mill Street"),
    ("no.12 mill st", "no.12 mill st"),
    ("Apartment 12, The Maltings", "Apartment 12, The Maltings"),
    ("I live at 12 The Maltings", "12 The Maltings"),
    ("Thanks, 12 Coniston, Leeds LS1 4AB", "12 Coniston"),
    ("it's number 12 on the Crescent", "number 12 on the Crescent"),
    ("flat 2,40 high road", "flat 2,40 high road"),
    ("12 Prince of Wales Road", "12 Prince of Wales Road"),
    ("5 Bull Ring, Birmingham", "5 Bull Ring"),
    # house names before a street
    ("Rose Cottage, Church Lane has no signal", "Rose Cottage, Church Lane"),
    ("The Old Forge, Mill Lane, Ditchling", "The Old Forge, Mill Lane"),
    ("The Willows, Back Lane", "The Willows, Back Lane"),
    ("Home Farm, 12 Vicarage Road", "Home Farm, 12 Vicarage Road"),
    ("rose cottage, church lane", "rose cottage, church lane"),
    ("Fairview, 12 Church Road", "Fairview, 12 Church Road"),
    ("Rose Cottage, Little Snoring NR21 0AB", "Rose Cottage"),
    ("I live at Rose Cottage.", "Rose Cottage"),
    ("The Cottage, Church Lane", "The Cottage, Church Lane"),
    ("Old School House, School Lane", "Old School House, School Lane"),
    ("Ivy Cottage, 3 Back Lane", "Ivy Cottage, 3 Back Lane"),
    ("Sunnyside, Mill Lane is flooded", "Sunnyside, Mill Lane"),
    ("Ty Gwyn, Heol Fawr, Bala", "Ty Gwyn, Heol Fawr"),
]


@pytest.mark.parametrize(("text", "address"), ADDRESSES)
def test_addresses_are_removed_from_the_number_to_the_end_of_the_street(
    text: str, address: str
) -> None:
    r = redact(text)
    found = [(f.kind, f.text) for f in r.spans]
    assert ("address", address) in found, found


# A street used as a place, and numbers before a street that are not houses.
NOT_ADDRESSES = [
    "the bus stop on Mill Street has no shelter",
    "potholes on Station Road again",
    "Church Lane car park is full every day",
    "the 38 to Station Road never comes",
    "the number 38 bus was late",
    "it is 5 minutes up Mill Lane",
    "there were 2 buses on London Road at once",
    "I paid £5 on Market Street",
    "my dad was on ward 12 for a week",
    "it is a 10 minute walk to the park",
    "a 20 mph limit on park road please",
    "I have 2 big green bins and 1 blue one",
    "put 3 bins out on church lane",
    "there are 3 ash trees on mill lane",
    "it took 20 mins to get to main street",
    "I WAITED 2 HOURS AT THE BUS STOP ON MILL ROAD",
    "A 5 MINUTE WALK FROM THE STATION",
    "We Waited 10 Minutes On Mill Lane",
    "since 2019 Church Street has been closed",
    "since 3 June Church Street has been closed",
    "Chapter 3 The Green Knight is on the reading list",
    "the 3 lane road by the school",
    "Level 2 Car Park is shut",
    "open 7 days, Station Road branch",
    "I am 72 and live alone on Elm Road",
    "the village hall, church lane was cold",
    "Town Hall, Market Street",
    "I love 10 pale green bottles",
    "they sell 3 different park passes",
    "the 12/03 Station Road meeting",
    "Hi, I waited at Mill Lane",
    "I gave 5 Stars, Leeds LS1 4AB is lovely",
    "the 3 ring binder",
    "the Mill House pub is nice",
    "the Old Forge was lovely",
    "we went to the cottage, church lane was flooded",
    "I counted 6 Bags of Rubbish on Mill Lane",
    "meet me at 7 The Crown",
    "quiz at 8 The Red Lion tonight",
]


@pytest.mark.parametrize("text", NOT_ADDRESSES)
def test_streets_as_places_and_counts_are_kept(text: str) -> None:
    r = redact(text)
    assert [f for f in r.spans if f.kind == "address"] == []


def test_the_town_and_postcode_are_not_part_of_the_address() -> None:
    r = redact("I'm at 12 Elm Road, Leeds LS1 4AB")
    assert [(f.kind, f.text) for f in r.spans] == [
        ("address", "12 Elm Road"),
        ("postcode", "LS1 4AB"),
    ]
    assert r.text == "I'm at [address], Leeds [postcode]"


@pytest.mark.parametrize("code", ["LS1-4AB", "ls1  4ab", "SE1 OAB", "LS14AB"])
def test_postcodes_as_people_type_them(code: str) -> None:
    r = redact(f"we are in {code} now")
    assert [(f.kind, f.text) for f in r.spans] == [("postcode", code)]


def test_a_drive_written_dr_is_not_a_doctor() -> None:
    r = redact("12 Elm Dr, Leeds")
    assert r.text == "[address], Leeds"


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("NHS 111 told Dr Patel me to go to A&E", "NHS 111 told Dr [name] me to go to A&E"),
        ("the GP at 12 Elm Dr Patel came round", "the GP at 12 Elm Dr [name] came round"),
    ],
)
def test_a_doctor_after_a_number_is_no_drive_once_the_name_is_taken_out(
    text: str, redacted: str
) -> None:
    # The name goes in a first pass; the second read "111 told Dr [name]" as an address.
    assert redact(text).text == redacted


# -- shops, brands, shows and places named after people ------------------------------------

KEPT = [
    "I love Mr Kipling cakes",
    "my Dr Martens boots fell apart",
    "the Mr Whippy van plays music at 10pm",
    "she got it from Miss Selfridge",
    "a Dr Oetker pizza",
    "Mrs Brown's Boys is on too late",
    "we watched Doctor Who",
    "Doctor Foster was on last night",
    "Ted Baker and Marks and Spencer in town",
    "we stayed at Ronald McDonald House",
    "the match at Sir Alex Ferguson Way",
    "my mum was on Florence Nightingale ward",
    "she was born in Queen Elizabeth Hospital",
    "they meet in Mary Seacole House",
    "King George Park needs more bins",
    "the A&E at St Mary's was packed",
    "a pint at The Duke of Wellington",
    "quiz night at The Kings Arms",
    "MR KIPLING MAKES EXCEEDINGLY GOOD CAKES",
]


@pytest.mark.parametrize("text", KEPT)
def test_brands_shows_and_places_are_kept(text: str) -> None:
    r = redact(text)
    assert r.spans == [], r.spans


def test_keep_phrases_after_a_title_are_never_redacted() -> None:
    phrases = load_keep()["keep"]["phrases"]
    titled = [p for p in phrases if p.split()[0] in ("Mr", "Mrs", "Miss", "Dr", "Ms", "Sir")]
    assert len(titled) >= 20
    for phrase in titled:
        r = redact(f"we talked about {phrase} today")
        assert [f for f in r.spans if f.kind == "name"] == [], phrase


def test_the_keep_list_is_long_enough() -> None:
    assert len(set(load_keep()["keep"]["phrases"])) >= 80


def test_real_names_next_to_kept_ones_are_still_redacted() -> None:
    r = redact("Dr Patel said Mr Kipling cakes are fine")
    assert r.text == "Dr [name] said Mr Kipling cakes are fine"


def test_a_titled_name_before_a_surname_like_place_word_is_still_a_name() -> None:
    # "Hall" could be the surname; a title before it means a person.
    assert redact("Dr Amir Hall was kind").spans[0].text.startswith("Amir")


@pytest.mark.parametrize(
    ("text", "name", "after_title", "place"),
    [
        ("on Florence Nightingale ward today", "Florence Nightingale", False, True),
        ("at Queen Elizabeth Hospital", "Elizabeth", False, True),
        ("the King George Park", "King George", False, True),
        ("the Mary Seacole Building", "Mary Seacole", False, True),
        ("went to Jane Smith's house", "Jane Smith", False, False),
        ("nurse Jane Ward was kind", "Jane", True, False),
        ("told Jane Ward", "Jane", False, False),
        ("Dr Patel's Surgery", "Patel", True, False),
        ("Sarah school was shut", "Sarah", False, False),
    ],
)
def test_names_a_place(text: str, name: str, after_title: bool, place: bool) -> None:
    keep = KeepList.from_file()
    start = text.index(name)
    assert keep.names_a_place(text, start, start + len(name), after_title) is place


def test_keep_spans_are_case_insensitive_whole_words() -> None:
    keep = KeepList.from_file()
    text = "mr kipling and DR MARTENS but not Mr Kiplingson"
    assert [text[s:e] for s, e in keep.spans(text)] == ["mr kipling", "DR MARTENS"]


def test_an_address_that_is_only_a_famous_one_is_kept() -> None:
    assert redact("I watched 21 Jump Street").spans == []
    assert redact("a letter to 10 Downing Street").spans == []


# -- anywhere in a sentence ------------------------------------------------------------------

_SENTENCES = [
    "The library on the high street closes at 5pm on Saturdays",
    "Our bins were not collected on Tuesday and the street smells awful",
    "The 42 bus was late again this morning, third time this week",
    "I would give the service 5 out of 10 overall",
    "it was awful, I WAITED 2 HOURS AT THE BUS STOP",
]


@pytest.mark.parametrize(
    "address",
    ["12 elm road", "flat 2, 40 high road", "12 heol y felin", "40 HIGH ROAD", "5 PARK VIEW"],
)
def test_lower_case_and_capital_addresses_are_found_anywhere(address: str) -> None:
    # Lower case and capitals need more care than title case, but not a cue word before them.
    for sentence in _SENTENCES:
        words = sentence.split()
        for at in range(len(words) + 1):
            text = " ".join([*words[:at], address, *words[at:]])
            r = redact(text)
            assert address not in r.text, text


def test_the_keep_list_travels_with_the_rules() -> None:
    # A pipeline saved with to_disk saves the rules; the keep list must be among them.
    rules = load_rules()
    keep = load_keep()
    keep["keep"]["phrases"] = [*keep["keep"]["phrases"], "Dr Zebedee"]
    assert redact("Dr Zebedee came").text == "Dr [name] came"
    redactor = Redactor({**rules, "keep_list": keep})
    assert redactor.redact("Dr Zebedee came").spans == []
    assert Redactor(redactor.rules).redact("Dr Zebedee came").spans == []
