"""Trial registry identifiers: recognising them, their registry, their page, their link key.

A study registered in several registries carries the others' ids as
secondary ids (an NCT number in a CTIS record, a EudraCT number in a
ClinicalTrials.gov record, a WHO Universal Trial Number everywhere).
`link_key` turns every spelling of one registration number into one key, so
registrations sharing a key are one study:

- ``NCT01234567`` → ``ctgov:NCT01234567``
- EudraCT ``2015-000590-12`` and EUCTR's member-state records of it
  (``2015-000590-12-DE``, WHO's ``EUCTR2015-000590-12-DE``) → ``eudract:2015-000590-12``
- an EU CT number ``2023-507106-13-00`` (WHO: ``CTIS2023-507106-13-00``) → ``euct:2023-507106-13``
  (its last two digits number the trial's versions in CTIS, not another trial)
- ``ISRCTN12345678``, ``ACTRN12605000001695``, ``U1111-1128-9098``, ``ChiCTR2000029953``,
  ``DRKS00038775``, ``CTRI/2020/03/024002``, ``JPRN-jRCTs051180190`` … → their registry and number.

Numbers written loosely in free text ("NCT 0123 4567") are not guessed at.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class IdScheme:
    registry: str  # who issues the number: "ctgov", "euctr", "ctis", "isrctn", …
    pattern: re.Pattern[str]
    page: str  # the registry's page for the number, ``{id}`` filled in

    def normalise(self, match: re.Match[str]) -> str:
        return match.group(0).upper() if self.registry in _UPPER else match.group(0)


_UPPER = frozenset({"ctgov", "isrctn", "anzctr", "utn", "drks", "pactr", "slctr", "tctr"})

# Order matters: the member-state EUCTR form before a bare EudraCT number.
SCHEMES: tuple[IdScheme, ...] = (
    IdScheme("ctgov", re.compile(r"\bNCT\d{8}\b", re.I), "https://clinicaltrials.gov/study/{id}"),
    IdScheme(
        "ctis",
        re.compile(r"(?<![\d-])20\d\d-5\d{5}-\d\d-\d\d(?![\d-])"),
        "https://euclinicaltrials.eu/search-for-clinical-trials/?lang=en&EUCT={id}",
    ),
    IdScheme(
        "euctr",
        re.compile(r"(?<![\d-])(?:19|20)\d\d-\d{6}-\d\d-(?:[A-Z]{2}|3RD)(?![\w-])", re.I),
        "https://www.clinicaltrialsregister.eu/ctr-search/trial/{number}/{country}",
    ),
    IdScheme(
        "eudract",
        re.compile(r"(?<![\d-])(?:19|20)\d\d-\d{6}-\d\d(?![\d-])"),
        "https://www.clinicaltrialsregister.eu/ctr-search/search?query={id}",
    ),
    IdScheme("isrctn", re.compile(r"\bISRCTN\d{8}\b", re.I), "https://www.isrctn.com/{id}"),
    IdScheme(
        "anzctr",
        re.compile(r"\bACTRN\d{14}(?!\d)", re.I),
        "https://www.anzctr.org.au/Trial/Registration/TrialReview.aspx?ACTRN={number}",
    ),
    IdScheme(
        "utn",
        re.compile(r"\bU1111-\d{4}-\d{4}\b", re.I),
        "https://trialsearch.who.int/?SearchAll={id}",
    ),
    IdScheme(
        "chictr",
        re.compile(r"\bChiCTR(?:-[A-Z]{2,4}-)?\d{8,10}\b"),
        "https://www.chictr.org.cn/searchprojEN.html?regno={id}",
    ),
    IdScheme("drks", re.compile(r"\bDRKS\d{8}\b", re.I), "https://drks.de/search/en/trial/{id}"),
    IdScheme(
        "ctri",
        re.compile(r"\bCTRI/\d{4}/\d{2,3}/\d{6}\b"),
        "https://ctri.nic.in/Clinicaltrials/advsearch.php?trialno={id}",
    ),
    IdScheme(
        "jprn",
        re.compile(r"\b(?:JPRN-)?(?:jRCT[a-z]?\d{9,10}|UMIN\d{9}|JapicCTI-\d{6}|JMA-IIA\d{5})\b"),
        "https://trialsearch.who.int/Trial2.aspx?TrialID={id}",
    ),
    IdScheme(
        "pactr",
        re.compile(r"\bPACTR\d{15,16}\b", re.I),
        "https://pactr.samrc.ac.za/TrialDisplay.aspx?TrialID={number}",
    ),
    IdScheme(
        "rebec",
        re.compile(r"\bRBR-\w{6,8}\b"),
        "https://ensaiosclinicos.gov.br/rg/{id}",
    ),
    IdScheme(
        "irct", re.compile(r"\bIRCT\d{8,}N\d+\b"), "https://trialsearch.who.int/?SearchAll={id}"
    ),
    IdScheme(
        "kct",
        re.compile(r"\bKCT\d{7}\b"),
        "https://cris.nih.go.kr/cris/search/detailSearch.do?id={id}",
    ),
    IdScheme("slctr", re.compile(r"\bSLCTR/\d{4}/\d{3}\b", re.I), "https://slctr.lk/trials/{id}"),
    IdScheme(
        "tctr", re.compile(r"\bTCTR\d{11}\b", re.I), "https://www.thaiclinicaltrials.org/show/{id}"
    ),
    IdScheme(
        "lbctr", re.compile(r"\bLBCTR\d{10}\b"), "https://trialsearch.who.int/?SearchAll={id}"
    ),
    IdScheme(
        "nl",
        re.compile(r"\b(?:NTR\d{3,5}|NL\d{4,5})\b"),
        "https://onderzoekmetmensen.nl/en/trial/{id}",
    ),
    IdScheme("rpcec", re.compile(r"\bRPCEC\d{8}\b"), "https://rpcec.sld.cu/en/trials/{id}"),
    IdScheme(
        "itmctr", re.compile(r"\bITMCTR\d{10}\b"), "https://trialsearch.who.int/?SearchAll={id}"
    ),
)
_BY_REGISTRY = {scheme.registry: scheme for scheme in SCHEMES}
# WHO ICTRP writes EUCTR and CTIS numbers with the registry's name in front.
_WHO_PREFIX = re.compile(r"^(?:EUCTR|CTIS)(?=(?:19|20)\d\d-\d{6}-\d\d)")


@dataclass(frozen=True)
class RegistryId:
    registry: str
    id: str

    @property
    def link_key(self) -> str:
        """One key for every spelling of the registration number (see the module doc)."""
        if self.registry == "euctr":
            return f"eudract:{self.id[:14]}"
        if self.registry == "ctis":
            return f"euct:{self.id[:14]}"
        if self.registry == "eudract":
            # A EudraCT-shaped number from 2022 on with a 5xxxxx serial is an EU CT number
            # written without its version (ClinicalTrials.gov records do this).
            if self.id[5] == "5" and self.id[:4] >= "2022":
                return f"euct:{self.id}"
            return f"eudract:{self.id}"
        return f"{self.registry}:{self.id.upper()}"

    @property
    def page_url(self) -> str:
        scheme = _BY_REGISTRY[self.registry]
        if self.registry == "euctr":
            number, country = self.id[:14], self.id[15:].lower()
            return scheme.page.format(number=number, country=country.upper().replace("3RD", "3rd"))
        number = self.id.removeprefix("ACTRN").removeprefix("JPRN-")
        return scheme.page.format(id=self.id, number=number)


_OUTSIDE_EEA = re.compile(r"-Outside-EU/EEA$", re.I)


def parse_registry_id(text: str) -> RegistryId | None:
    """The one registry id *text* is (spaces and WHO's ``EUCTR``/``CTIS`` prefix allowed)."""
    # WHO writes EUCTR's third-country protocols "-Outside-EU/EEA"; EUCTR itself "3rd".
    candidate = _OUTSIDE_EEA.sub("-3RD", _WHO_PREFIX.sub("", text.strip()))
    for scheme in SCHEMES:
        match = scheme.pattern.fullmatch(candidate)
        if match is not None:
            return _identified(scheme, match)
    return None


def find_registry_ids(text: str) -> list[RegistryId]:
    """Every registry id written in *text*, in order, each once."""
    found: dict[str, RegistryId] = {}
    spans: list[tuple[int, int]] = []
    cleaned = _WHO_PREFIX_ANYWHERE.sub("", text)
    for scheme in SCHEMES:
        for match in scheme.pattern.finditer(cleaned):
            if any(start <= match.start() < end for start, end in spans):
                continue  # a EudraCT number inside an EUCTR member-state id, say
            spans.append((match.start(), match.end()))
            registry_id = _identified(scheme, match)
            found.setdefault(f"{registry_id.registry}:{registry_id.id}", registry_id)
    return list(found.values())


_WHO_PREFIX_ANYWHERE = re.compile(r"\b(?:EUCTR|CTIS)(?=(?:19|20)\d\d-\d{6}-\d\d)")


def _identified(scheme: IdScheme, match: re.Match[str]) -> RegistryId:
    value = scheme.normalise(match)
    if scheme.registry == "euctr":
        value = value[:15] + value[15:].upper()
    if scheme.registry == "jprn" and not value.startswith("JPRN-"):
        value = f"JPRN-{value}"
    return RegistryId(scheme.registry, value)


def link_keys(ids: Iterable[str]) -> set[str]:
    """The link keys of the registry ids among *ids* (anything else is ignored)."""
    keys = set()
    for text in ids:
        registry_id = parse_registry_id(text)
        if registry_id is not None:
            keys.add(registry_id.link_key)
    return keys


def registry_page(text: str) -> str | None:
    registry_id = parse_registry_id(text)
    return None if registry_id is None else registry_id.page_url


def issuing_registry(text: str) -> str | None:
    """Which registry issued the number *text* (``ctgov`` for an NCT number …), if known."""
    registry_id = parse_registry_id(text)
    if registry_id is None:
        return None
    return "euctr" if registry_id.registry == "eudract" else registry_id.registry
