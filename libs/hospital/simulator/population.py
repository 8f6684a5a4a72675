"""Who the simulated HIS traffic is about: institutions of every level in several regions, and people.

Everything follows the shipped reference data (libs/hospital/reference.py): people are insured in the
regions and schemes the settlement engine has policy packs for, and are treated in regions whose
province has a catalogue. One seed gives the same population every time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from libs.contracts.enrollment import RegisterPerson
from libs.contracts.wallet import CreditPersonalAccount
from libs.hospital import reference
from libs.resident_id import with_check_character

# Institutions per treatment region: (kind, hosp_lv, how many).
INSTITUTIONS = (("hospital", "provincial", 1), ("hospital", "3", 3), ("hospital", "2", 6), ("hospital", "1", 8),
                ("hospital", "primary", 12), ("pharmacy", "primary", 10))


@dataclass(frozen=True)
class Institution:
    fixmedins_code: str
    fixmedins_type: str  # hospital / pharmacy
    hosp_lv: str
    region: str


@dataclass(frozen=True)
class SpecialDrug:
    """三定: the drug, the designated hospital and pharmacy, and the responsible doctor."""

    med_list_codg: str
    hospital: str
    pharmacy: str
    doctor: str


@dataclass(frozen=True)
class Person:
    psn_no: str
    certno: str
    gend: str
    brdy: date
    insutype: str
    insured_region: str
    home_region: str  # where they live and are usually treated (differs for people living elsewhere)
    filed: bool  # a long-term-residence filing (异地就医备案) for home_region, when it differs
    emp_status: str = "none"
    hardship_group: str = "none"
    account_credit: int = 0  # fen credited to an employee's personal account at the start
    chronic_disease: str | None = None  # 门慢门特 disease, approved
    special_drug: SpecialDrug | None = None  # dual-channel (双通道) patient: drug, places and doctor fixed

    @property
    def cross_region(self) -> bool:
        return self.home_region != self.insured_region

    def age_on(self, day: date) -> int:
        return day.year - self.brdy.year - ((day.month, day.day) < (self.brdy.month, self.brdy.day))

    def enrollment(self, registered_on: date) -> RegisterPerson:
        return RegisterPerson(
            command_id=f"reg-{self.psn_no}", psn_no=self.psn_no, certno=self.certno, psn_name="模拟患者",
            gend=self.gend, brdy=self.brdy, insutype=self.insutype, insuplc_admdvs=self.insured_region,
            emp_status=self.emp_status, hardship_group=self.hardship_group, begndate=registered_on,
        )

    def credit(self, year: int) -> CreditPersonalAccount | None:
        if not self.account_credit:
            return None
        return CreditPersonalAccount(credit_id=f"credit-{self.psn_no}-{year}", psn_no=self.psn_no,
                                     amount=self.account_credit, kind="contribution", year=year)


@dataclass
class Population:
    schemes: tuple[reference.Scheme, ...]
    treatment_regions: tuple[str, ...]
    institutions: dict[str, list[Institution]]  # by region
    people: list[Person]
    unknown_people: list[str] = field(default_factory=list)  # never enrolled: NOT_INSURED

    def hospitals(self, region: str, levels: tuple[str, ...] | None = None) -> list[Institution]:
        return [i for i in self.institutions[region] if i.fixmedins_type == "hospital"
                and (levels is None or i.hosp_lv in levels)]

    def pharmacies(self, region: str) -> list[Institution]:
        return [i for i in self.institutions[region] if i.fixmedins_type == "pharmacy"]

    @property
    def all_institutions(self) -> list[Institution]:
        return [i for region in self.treatment_regions for i in self.institutions[region]]


def build_population(seed: int, people: int, *, tag: str = "SIM", year: int | None = None) -> Population:
    rng = random.Random(seed)
    schemes = _schemes_for(year)
    insured_regions = sorted({s.region for s in schemes})
    treatment = tuple(sorted({r for r in insured_regions if reference.has_catalogue(r)} or set(insured_regions)))
    institutions = {region: _institutions(region) for region in treatment}
    persons = [_person(rng, n, tag, schemes, treatment, institutions) for n in range(people)]
    unknown = [f"{tag}X{n:07d}" for n in range(max(1, people // 100))]
    return Population(schemes, treatment, institutions, persons, unknown)


def _schemes_for(year: int | None) -> tuple[reference.Scheme, ...]:
    found = reference.schemes()
    if year is not None and any(s.year == year for s in found):
        return tuple(s for s in found if s.year == year)
    newest = max(s.year for s in found)
    return tuple(s for s in found if s.year == newest)


def _institutions(region: str) -> list[Institution]:
    found, n = [], 0
    for kind, level, count in INSTITUTIONS:
        for _ in range(count):
            n += 1
            prefix = "P" if kind == "pharmacy" else "H"
            found.append(Institution(f"{prefix}{region}{n:05d}", kind, level, region))
    return found


def _person(rng: random.Random, n: int, tag: str, schemes: tuple[reference.Scheme, ...], treatment: tuple[str, ...],
            institutions: dict[str, list[Institution]]) -> Person:
    weights = [2 if s.insutype == "390" else 1 for s in schemes]  # residents outnumber employees
    scheme = rng.choices(schemes, weights)[0]
    employee = scheme.insutype == "310"
    retired = employee and rng.random() < 0.25
    born = date(rng.randint(1950, 1962) if retired else rng.randint(1950, 2019), rng.randint(1, 12), rng.randint(1, 28))
    male = rng.random() < 0.5
    seq = rng.randrange(0, 500) * 2 + (1 if male else 0)  # 17th digit: odd for men
    certno = with_check_character(f"{scheme.region}{born:%Y%m%d}{seq:03d}")
    home, filed = scheme.region, False
    others = [r for r in treatment if r != scheme.region]
    if others and rng.random() < 0.10:  # lives elsewhere: migrant workers, retirees living with children
        home, filed = rng.choice(others), rng.random() < 0.8
    return Person(
        psn_no=f"{tag}{n:07d}", certno=certno, gend="1" if male else "2", brdy=born, insutype=scheme.insutype,
        insured_region=scheme.region, home_region=home, filed=filed,
        emp_status=("retired" if retired else "employed") if employee else "none",
        hardship_group="none" if employee or rng.random() > 0.06 else rng.choice(
            ["extreme_hardship", "minimum_income", "at_risk_of_poverty", "returned_to_poverty"]),
        account_credit=rng.randint(200, 5000) * 100 if employee else 0,
        chronic_disease=rng.choice(scheme.chronic_diseases) if scheme.chronic_diseases and rng.random() < 0.15 else None,
        special_drug=_designation(rng, home, institutions[home]) if rng.random() < 0.01 else None,
    )


def _designation(rng: random.Random, region: str, places: list[Institution]) -> SpecialDrug | None:
    drugs = [i.med_list_codg for i in reference.catalogue(region) if i.special_drug]
    hospitals = [i.fixmedins_code for i in places if i.fixmedins_type == "hospital" and i.hosp_lv in ("3", "provincial")]
    pharmacies = [i.fixmedins_code for i in places if i.fixmedins_type == "pharmacy"]
    if not (drugs and hospitals and pharmacies):
        return None
    return SpecialDrug(rng.choice(drugs), rng.choice(hospitals), rng.choice(pharmacies), f"D{region}{rng.randint(1, 40):04d}")
