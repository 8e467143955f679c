"""The words the identifier detectors (`matcher.identifiers`) look for and look past.

English, French, German and Spanish: titles and labels before names, words
around dates of birth and record numbers, street words, postcode areas,
units that make a long number a measurement. The words that are not names
(``data/not_names.txt``) and the eponyms (``data/eponyms.txt``) are data
files, loaded once.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


def folded(word: str) -> str:
    """Lower case without accents: 'Sjögren' and 'sjogren' are one word."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@cache
def _words(name: str) -> frozenset[str]:
    words: set[str] = set()
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        words.update(folded(word) for word in line.split("#", 1)[0].split())
    return frozenset(words)


def not_names() -> frozenset[str]:
    """Words that are never a person's name after a title or a label."""
    return _words("not_names.txt")


def eponyms() -> frozenset[str]:
    """Names of diseases, scores and classifications: a name only after a title."""
    return _words("eponyms.txt")


def word_set(words: str) -> frozenset[str]:
    """The space-separated *words* as a set."""
    return frozenset(words.split())


def alternatives(words: str) -> str:
    """A regular-expression alternation of space-separated *words*, longest first."""
    return "|".join(sorted(words.split(), key=len, reverse=True))


# Titles a person's name follows. Written in capitals without a full stop,
# DR (diabetic retinopathy), PR (progesterone receptor), MS (multiple
# sclerosis) and MR (mitral regurgitation) are clinical, not titles.
TITLES = alternatives(
    "dr dre dra doctor docteur doktor doctora pr prof professor professeur profesor profesora "
    "mr mrs ms miss mme mmes mlle monsieur madame mademoiselle herr frau señor señora señorita "
    "senor senora senorita sr sra srta dña"
)
# Titles that are words of clinical text in lower case ("pr interval", "ms relapse").
LOWER_CASE_CLINICAL_TITLES = frozenset({"pr", "ms", "miss", "sr", "dre"})
# Labels after which a capitalised word is a name ("patient Dupont", "seen by Moreau").
NAME_LABELS = alternatives(
    "patient patiente patientin paciente name named nom prénom prenom nommé nommée appelé "
    "appelée called surname vorname nachname nombre apellido apellidos llamado llamada née nee "
    "geb. geborene physician médecin medecin gp nurse infirmier infirmière infirmiere arzt ärztin "
    "hausarzt hausärztin médico medico médica medica enfermero enfermera consultant surgeon "
    "chirurgien cirujano"
).replace("geb.", r"geb\.")
NAME_PHRASES = (
    r"maiden\s+name|nom\s+de\s+jeune\s+fille|nom\s+d'usage|nom\s+de\s+naissance|"
    r"m[ée]decin\s+traitant|referred\s+by|seen\s+by|prescribed\s+by|adress[ée]e?\s+par|"
    r"suivie?\s+par|vue?\s+par|prescrite?\s+par|verordnet\s+von|[üu]berwiesen\s+von|"
    r"recetad[oa]\s+por|derivad[oa]\s+por"
)
# "brand name Xanax": the name of a product, not of a person
PRODUCT_WORDS = frozenset(
    {"brand", "trade", "generic", "drug", "product", "commercial", "chemical", "common", "street"}
)

MONTHS = alternatives(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec "
    "janvier février fevrier mars avril mai juin juillet août aout septembre octobre novembre "
    "décembre decembre janv févr fevr fév fev avr juil déc "
    "januar jänner jaenner februar märz maerz juni juli oktober dezember "
    "enero febrero marzo abril mayo junio julio agosto septiembre setiembre octubre noviembre "
    "diciembre ene abr ago dic"
)
BIRTH_WORDS = (
    r"born|birth|birthday|birth\s*date|date\s+of\s+birth|d\.?\s?o\.?\s?b\.?|n[ée]e|né|n[ée]\(e\)|"
    r"date\s+de\s+naissance|naissance|ddn|geboren|geb\.|geburtsdatum|geburtstag|nacid[oa]|"
    r"fecha\s+de\s+nacimiento|nacimiento|f\.\s?nac\.?|fdn"
)
RECORD_WORDS = (
    r"mrn|mr\s?#|mr\s?no|medical\s+record|record|hospital\s+(?:number|no|id)|hosp\.?\s+no|"
    r"patient\s+(?:number|no|n°|id|#)|pt\s+(?:id|no|#)|chart|case\s+(?:number|no)|ipp|nip|nda|"
    r"dossier(?:\s+m[ée]dical)?|num[ée]ro\s+(?:de\s+)?patient|n°\s*patient|identifiant|"
    r"patienten-?(?:id|nummer|nr\.?)|fallnummer|fall-?nr\.?|aufnahme-?(?:nummer|nr\.?)|"
    r"krankenblatt|historia\s+cl[íi]nica|n[úu]mero\s+de\s+historia|nhc|n[º°]\s*historia|"
    r"encounter|visit\s+(?:number|no|id)|admission\s+(?:number|no)|account(?:\s+number)?|"
    r"accession(?:\s+number)?|member\s+id|policy(?:\s+number)?|subscriber\s+id|id|identifier"
)
NATIONAL_ID_WORDS = (
    r"ssn|social\s+security|nir|insee|s[ée]curit[ée]\s+sociale|s[ée]cu|n°\s*ss|nhs|nino|"
    r"national\s+insurance|national\s+id|insurance\s+(?:number|no)|versichertennummer|kvnr|"
    r"sozialversicherungs?(?:nummer)?|rentenversicherungsnummer|steuer-?id|seguridad\s+social|"
    r"nuss|naf|dni|nie|nif|tsi|passport|passeport|reisepass|pasaporte|permis|licen[cs]e"
)
PHONE_WORDS = (
    r"tel|tél|téléphone|telephone|phone|mobile|cell|portable|handy|telefon|teléfono|telefono|"
    r"móvil|movil|fax|call|appeler|rappeler|joindre|gsm|pager"
)
# Labels before a number that is a code, not a person's: a product or concept code.
CODE_LABELS = frozenset(
    {
        "cip",
        "cip7",
        "cip13",
        "ucd",
        "ndc",
        "ean",
        "gtin",
        "pzn",
        "snomed",
        "sct",
        "sctid",
        "loinc",
        "rxnorm",
        "rxcui",
        "atc",
        "icd",
        "cui",
        "umls",
        "code",
        "lot",
        "batch",
    }
)

STREET_WORDS_EN = alternatives(
    "street st road rd avenue ave boulevard blvd lane ln crescent cres crossroad terrace highway "
    "hwy parkway pkwy drive dr court ct close mews gardens grove square sq place pl way row hill "
    "walk green park"
)
# Street words that are also common words: only with a capitalised street name.
AMBIGUOUS_STREET_EN = frozenset(
    {
        "st",
        "drive",
        "dr",
        "court",
        "ct",
        "close",
        "mews",
        "gardens",
        "grove",
        "square",
        "sq",
        "place",
        "pl",
        "way",
        "row",
        "hill",
        "walk",
        "green",
        "park",
    }
)
# Words between a number and a street word that make it a count, not an address
# ("2 episodes in the last place", "3 months after road traffic accident").
NOT_STREET_NAMES = word_set(
    "a an the of in on at to for from with and or by after before since during per last "
    "first next this that each every all some few more less than times months years weeks "
    "days hours minutes episodes cycles courses doses tablets lines leads fractions sessions "
    "visits admissions attacks seizures falls relapses children pregnancies units short long "
    "lifetime previous prior further other"
)
STREET_WORDS_FR = alternatives(
    "rue avenue av boulevard bd bld chemin impasse imp allée allee place pl quai route rte "
    "cours square faubourg fbg passage résidence residence lotissement lieu-dit hameau villa "
    "cité cite parvis promenade esplanade sentier"
)
AMBIGUOUS_STREET_FR = frozenset(
    {"av", "place", "pl", "route", "rte", "cours", "square", "passage", "villa", "cite", "cité"}
    | {"hameau", "promenade", "residence", "résidence", "sentier", "esplanade", "parvis"}
)
STREET_SUFFIXES_DE = alternatives(
    "straße strasse str. weg platz allee gasse ring damm chaussee ufer"
)
STREET_WORDS_ES = alternatives(
    "calle c/ avenida avda. avda plaza pza. paseo carrer carretera ctra. camino ronda travesía "
    "travesia glorieta rambla"
)
PO_BOX = (
    r"p\.?\s?o\.?\s+box|post\s+office\s+box|bo[îi]te\s+postale|postfach|apartado\s+de\s+correos"
)

UK_POSTCODE_AREAS = word_set(
    "AB AL B BA BB BD BH BL BN BR BS BT CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN DT "
    "DY E EC EH EN EX FK FY G GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY L "
    "LA LD LE LL LN LS LU M ME MK ML N NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM S "
    "SA SE SG SK SL SM SN SO SP SR SS ST SW SY TA TD TF TN TQ TR TS TW UB W WA WC WD WF WN WR "
    "WS WV YO ZE"
)
US_STATES = alternatives(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY"
)
POSTCODE_WORDS = (
    r"code\s+postal|cp|plz|postleitzahl|c[óo]digo\s+postal|c\.p\.|postcode|post\s+code|"
    r"postal\s+code|zip(?:\s*code)?"
)
# A capitalised word after five digits that is a unit or a count, not a town.
NOT_TOWNS = word_set(
    "copies copy cp iu ui units unit unités unites cells cellules zellen células celulas "
    "platelets plaquettes leucocytes leukocytes lymphocytes neutrophils mg ml µg ug ng "
    "mmol steps pas schritte pasos kcal cal"
)
# After a number, these make it a measurement ("12000000000 /L", "1200000 copies/mL").
UNITS = alternatives(
    "copies copy cp cps iu ui u units unit unités cells cell cellules zellen células cfu ufc "
    "mg µg μg ug mcg ng pg g kg ml µl μl ul dl l mmol µmol μmol umol nmol pmol mol meq mosm "
    "mm3 mm cm m bp kb mb gy cgy mbq bq log"
)
