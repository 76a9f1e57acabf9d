"""Street names, postal addresses, towns and postcodes for the generated training data."""

from __future__ import annotations

import random
import string

from nlp.redact_train.names import held_out

SUFFIXES = [
    "Road",
    "Street",
    "Lane",
    "Avenue",
    "Close",
    "Crescent",
    "Drive",
    "Way",
    "Grove",
    "Gardens",
    "Court",
    "Place",
    "Terrace",
    "Walk",
    "Mews",
    "Rise",
    "Hill",
    "View",
    "Row",
    "Fold",
    "Brow",
    "Top",
    "Bank",
    "Wynd",
    "Vennel",
    "Loan",
    "Gate",
    "Green",
    "Parade",
    "Square",
    "Park",
    "Vale",
    "Meadow",
    "Meadows",
    "Croft",
    "Side",
    "Chase",
    "End",
    "Field",
    "Fields",
    "Lea",
    "Mount",
    "Approach",
    "Path",
    "Yard",
    "Wharf",
    "Quay",
    "Brae",
    "Gait",
    "Boulevard",
    "Garth",
    "Nook",
    "Dale",
    "Heights",
    "Crest",
    "Drove",
    "Hollow",
    "Ridge",
    "Close",
    "Road",
    "Street",
    "Lane",
    "Avenue",
    "Road",
    "Street",
    "Drive",
]
ABBREVIATIONS = {
    "Road": "Rd",
    "Street": "St",
    "Avenue": "Ave",
    "Lane": "Ln",
    "Crescent": "Cres",
    "Drive": "Dr",
    "Close": "Cl",
    "Gardens": "Gdns",
    "Terrace": "Terr",
    "Place": "Pl",
    "Court": "Ct",
    "Square": "Sq",
}
STEMS = [
    "Mill",
    "Church",
    "Station",
    "High",
    "Park",
    "Victoria",
    "Albert",
    "Queens",
    "Kings",
    "Oak",
    "Ash",
    "Elm",
    "Beech",
    "Birch",
    "Willow",
    "Cedar",
    "Chestnut",
    "Hawthorn",
    "Holly",
    "Rowan",
    "Sycamore",
    "Maple",
    "Poplar",
    "Larch",
    "Linden",
    "Meadow",
    "Orchard",
    "Brook",
    "Spring",
    "Well",
    "Castle",
    "Manor",
    "Abbey",
    "Priory",
    "Chapel",
    "School",
    "Market",
    "Bridge",
    "Water",
    "River",
    "Canal",
    "North",
    "South",
    "East",
    "West",
    "New",
    "Old",
    "Green",
    "Moor",
    "Heath",
    "Forest",
    "Wood",
    "Cliff",
    "Sea",
    "Bay",
    "Harbour",
    "Windmill",
    "Foundry",
    "Forge",
    "Tannery",
    "Union",
    "Commercial",
    "Railway",
    "Clarence",
    "York",
    "Lancaster",
    "Windsor",
    "Stanley",
    "Cromwell",
    "Nelson",
    "Wellington",
    "Gladstone",
    "Peel",
    "Grange",
    "Hall",
    "Farm",
    "Barn",
    "Stone",
    "Broad",
    "Long",
    "Back",
    "Front",
    "Fore",
    "Upper",
    "Lower",
    "Middle",
    "Hill",
    "Lime",
    "Cherry",
    "Primrose",
    "Bluebell",
    "Heather",
    "Fern",
    "Ivy",
    "Laburnum",
    "Lilac",
    "Magnolia",
    "Mulberry",
    "Juniper",
    "Thorn",
    "Rose",
    "Daisy",
    "Foxglove",
    "Kestrel",
    "Heron",
    "Swallow",
    "Lark",
    "Wren",
    "Coronation",
    "Jubilee",
    "Empire",
    "Regent",
    "Belgrave",
    "Grosvenor",
    "Cavendish",
    "Balmoral",
    "Sandringham",
    "Hamilton",
    "Montrose",
    "Argyle",
    "Bruce",
    "Wallace",
    "Glebe",
    "Pinfold",
    "Townend",
    "Lowther",
    "Cross",
    "Tithe",
    "Common",
    "Pit",
    "Colliery",
    "Valley",
    "Fountain",
    "Trinity",
    "St John's",
    "St Mary's",
    "St Andrew's",
    "Bishop's",
    "Parson's",
    "Miller's",
    "Smithy",
    "Hollin",
    "Sandy",
    "Gorse",
    "Bracken",
]
# Town-like first parts, as in "Oldham Road", "Leeds Road".
TOWNS = [
    "Leeds",
    "Bradford",
    "Manchester",
    "Oldham",
    "Bolton",
    "Bury",
    "Rochdale",
    "Wigan",
    "Preston",
    "Blackburn",
    "Burnley",
    "Halifax",
    "Huddersfield",
    "Wakefield",
    "Sheffield",
    "Rotherham",
    "Barnsley",
    "Doncaster",
    "York",
    "Hull",
    "Sunderland",
    "Gateshead",
    "Newcastle",
    "Durham",
    "Carlisle",
    "Lancaster",
    "Chester",
    "Stockport",
    "Derby",
    "Nottingham",
    "Leicester",
    "Coventry",
    "Birmingham",
    "Walsall",
    "Dudley",
    "Wolverhampton",
    "Stoke",
    "Luton",
    "Reading",
    "Slough",
    "Swindon",
    "Bristol",
    "Bath",
    "Exeter",
    "Plymouth",
    "Cardiff",
    "Swansea",
    "Newport",
    "Wrexham",
    "Bangor",
    "Glasgow",
    "Edinburgh",
    "Dundee",
    "Aberdeen",
    "Paisley",
    "Belfast",
    "Derry",
    "Ipswich",
    "Norwich",
    "Peterborough",
    "Northampton",
    "Oxford",
    "Cambridge",
    "Brighton",
    "Southampton",
    "Portsmouth",
    "Croydon",
    "Harrow",
    "Ealing",
    "Hackney",
    "Lewisham",
    "Tottenham",
    "Walthamstow",
    "Ilford",
    "Dewsbury",
    "Batley",
    "Keighley",
    "Accrington",
    "Blackpool",
    "Grimsby",
    "Lincoln",
    "Merthyr",
    "Pontypridd",
    "Llanelli",
    "Caerphilly",
    "Motherwell",
    "Kilmarnock",
    "Falkirk",
]
WELSH = [
    "Heol y Bont",
    "Heol Llanishen",
    "Heol Isaf",
    "Heol Uchaf",
    "Heol y Parc",
    "Heol Fach",
    "Heol Penllwyn",
    "Heol Gwili",
    "Ffordd Penrhyn",
    "Ffordd y Môr",
    "Ffordd Garth",
    "Ffordd Caergybi",
    "Ffordd Pentre",
    "Maes y Coed",
    "Maes Glas",
    "Maes yr Haf",
    "Maes Gwyn",
    "Maes Hyfryd",
    "Lôn Las",
    "Lôn Fawr",
    "Lôn y Bryn",
    "Lon Isaf",
    "Lôn Goed",
    "Stryd Fawr",
    "Stryd y Capel",
    "Stryd Fictoria",
    "Rhodfa'r Môr",
    "Rhodfa Glyndwr",
    "Cae Mawr",
    "Cae Coch",
    "Cae Bach",
    "Cae'r Felin",
    "Bryn Awel",
    "Bryn Hyfryd",
    "Bryn Teg",
    "Bryn Eglwys",
    "Pen-y-Bryn",
    "Pen-y-Lan",
    "Pen-y-Graig",
    "Pen-y-Waun",
    "Pen-y-Dre",
    "Tan-y-Bryn",
    "Tir Ffynnon",
    "Cwrt y Felin",
    "Clos Cae Mawr",
    "Clos y Wern",
    "Llys Pennant",
    "Ael y Bryn",
    "Gwaun Fach",
    "Nant y Pandy",
    "Coed Glas",
]
# The first words of Welsh street names ("Heol y Bont", "Maes Glas").
WELSH_HEADS = [
    "Heol",
    "Ffordd",
    "Maes",
    "Lôn",
    "Lon",
    "Stryd",
    "Rhodfa",
    "Rhodfa'r",
    "Cae",
    "Cae'r",
    "Bryn",
    "Pen-y-Bryn",
    "Pen-y-Lan",
    "Clos",
    "Llys",
    "Cwrt",
    "Ael",
    "Gwaun",
    "Nant",
    "Coed",
    "Tir",
    "Tan-y-Bryn",
    "Heol-y",
]
SCOTS_SUFFIXES = ["Wynd", "Brae", "Vennel", "Loan", "Gait", "Close", "Row", "Crescent"]
HOUSE_NAMES = [
    "Rose Cottage",
    "The Old Forge",
    "The Old Rectory",
    "Ivy Cottage",
    "The Bungalow",
    "Hillside",
    "The Laurels",
    "Woodlands",
    "The Willows",
    "Orchard House",
    "The Old School",
    "Mill House",
    "The Coach House",
    "Holly Lodge",
    "Brook Farm",
    "Church Cottage",
    "The Barn",
    "Fernlea",
    "Sunnyside",
    "Ty Gwyn",
    "Bryn Teg",
    "Glenview",
    "Craigmore",
    "The Old Post Office",
    "Keeper's Cottage",
    "Stable Cottage",
    "Meadow View",
    "Oak Lodge",
    "Beech House",
    "The Gables",
    "Pear Tree Cottage",
    "The Elms",
    "Ashfield House",
    "Lilac Cottage",
    "Wisteria House",
    "Heatherbrae",
    "The Granary",
    "Swallows Nest",
]
UNITS = ["Flat", "flat", "Apt", "apt", "Apartment", "Unit", "Room", "Maisonette", "Flat no."]
CASINGS = ("as is", "lower", "upper", "title")


def _case(text: str, casing: str) -> str:
    if casing == "lower":
        return text.lower()
    if casing == "upper":
        return text.upper()
    if casing == "title":
        return string.capwords(text)
    return text


class AddressMaker:
    """Draws streets, addresses, towns and postcodes for one part of the data."""

    def __init__(self, rng: random.Random, held: bool, family_names: list[str]) -> None:
        self.rng = rng
        self.stems = [s for s in STEMS if held_out(s) == held]
        self.towns = [t for t in TOWNS if held_out(t) == held]
        self.welsh = [w for w in WELSH if held_out(w) == held]
        self.house_names = [h for h in HOUSE_NAMES if held_out(h) == held]
        self.family = [f for f in family_names if " " not in f]

    def street(self) -> str:
        """A street name without a number: "Mill Road", "Heol y Bont", "Kirk Wynd"."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.12:
            return rng.choice(self.welsh)
        if roll < 0.2:
            return f"{rng.choice(self.stems)} {rng.choice(SCOTS_SUFFIXES)}"
        if roll < 0.45:
            first = rng.choice(self.family)
        elif roll < 0.55:
            first = rng.choice(self.towns)
        elif roll < 0.6:
            first = f"{rng.choice(self.stems)} {rng.choice(['Hill', 'Park', 'Farm', 'Green'])}"
        else:
            first = rng.choice(self.stems)
        suffix = rng.choice(SUFFIXES)
        if suffix in ABBREVIATIONS and rng.random() < 0.2:
            suffix = ABBREVIATIONS[suffix] + ("." if rng.random() < 0.3 else "")
        if rng.random() < 0.04:
            first = f"{rng.choice(['Upper', 'Lower', 'Old', 'New', 'Little'])} {first}"
        return f"{first} {suffix}"

    def number(self) -> str:
        """A house number, now and then with a letter or a range."""
        rng = self.rng
        n = str(int(rng.paretovariate(1.1) * 3) if rng.random() < 0.7 else rng.randint(1, 400))
        n = str(max(1, min(int(n), 999)))
        roll = rng.random()
        if roll < 0.08:
            n += rng.choice("abcAB")
        elif roll < 0.1:
            n += f"-{int(n) + 2}"
        return n

    def address(self) -> str:
        """An address from the flat or house number (or house name) to the street."""
        rng = self.rng
        street = self.street()
        comma = "," if rng.random() < 0.4 else ""
        roll = rng.random()
        if roll < 0.1:
            text = f"{rng.choice(self.house_names)}, {street}"
        elif roll < 0.2:
            text = f"{rng.choice(UNITS)} {rng.randint(1, 40)}{comma} {self.number()} {street}"
        elif roll < 0.25:
            text = f"{rng.randint(0, 3)}/{rng.randint(1, 4)}{comma} {self.number()} {street}"
        elif roll < 0.3:
            text = f"{rng.choice(['number', 'no.', 'No', 'no', 'Number'])} {self.number()} {street}"
        elif roll < 0.34:
            text = f"number {self.number()} on {street}"
        elif roll < 0.37:
            text = f"{self.number()} {street}"
            unit = rng.choice(["flat", "Flat", "apt", "Apartment"])
            text += f" {unit} {rng.randint(1, 30)}"
        else:
            text = f"{self.number()}{comma} {street}"
        return _case(text, rng.choices(CASINGS, (6, 3, 1, 0.5))[0])

    def town(self) -> str:
        """A town."""
        return self.rng.choice(self.towns)

    def postcode(self) -> str:
        """A postcode shaped like a UK one."""
        rng = self.rng
        area = "".join(rng.choices(string.ascii_uppercase, k=rng.choice([1, 2])))
        outward = f"{area}{rng.randint(1, 29)}"
        code = f"{outward} {rng.randint(0, 9)}{''.join(rng.choices('ABDEFGHJLNPQRSTUWXYZ', k=2))}"
        return code.lower() if rng.random() < 0.2 else code

    def tail(self) -> str:
        """What may follow an address: a town, a postcode, both or nothing."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.35:
            return ""
        if roll < 0.6:
            return f", {self.town()}"
        if roll < 0.8:
            return f", {self.town()} {self.postcode()}"
        return f" {self.postcode()}"
