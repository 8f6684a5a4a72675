"""The one mapping between the code variants real HIS traffic carries and the platform's own values.

Codes stay strings with their leading zeros. A national code maps to the platform's value; a
provincial sub-code (four digits starting with a national code: 2101 -> 21) maps like its parent;
a `99xx` local code needs the province's table (`PROVINCIAL`, keyed by the first two digits of the
treatment region). What the platform cannot settle is refused by name (`UnknownCode`), never guessed.
"""

from __future__ import annotations

from collections.abc import Mapping

from services.gateway.domain.errors import UnknownCode

# 医疗类别: national code -> the platform's MedType (libs/contracts/claims.py).
MED_TYPES: Mapping[str, str] = {
    "11": "11",  # 普通门诊
    "12": "11",  # 门诊挂号: the registration fee, settled as an ordinary outpatient bill
    "13": "13",  # 急诊
    "14": "14",  # 门诊慢特病
    "15": "15",  # 特药
    "21": "21",  # 普通住院
    "23": "21",  # 转外诊治住院: an inpatient stay
    "24": "21",  # 急诊转住院: an inpatient stay
    "41": "41",  # 定点药店购药
    "51": "51",  # 生育门诊
    "52": "52",  # 生育住院
}
MED_TYPE_NAMES = {"11": "普通门诊", "12": "门诊挂号", "13": "急诊", "14": "门诊慢特病", "15": "特药", "21": "普通住院",
                  "23": "转外诊治住院", "24": "急诊转住院", "41": "药店购药", "51": "生育门诊", "52": "生育住院"}
INPATIENT_MED_TYPES = frozenset({"21", "52"})

# 险种类型: national code -> the platform's Insutype.
INSUTYPES: Mapping[str, str] = {
    "310": "310",  # 职工基本医疗保险
    "390": "390",  # 城乡居民基本医疗保险
    "391": "390",  # 城镇居民基本医疗保险 (legacy name of the resident scheme)
    "380": "390",  # 新型农村合作医疗 (legacy name of the resident scheme)
    "510": "510",  # 生育保险
}

# Per-province additions (first two digits of the treatment region -> field -> code -> national code).
# Empty by default: a province's 99xx codes are added here from its own table, never guessed.
PROVINCIAL: Mapping[str, Mapping[str, Mapping[str, str]]] = {}

# 收费项目等级: the platform's catalogue class (1/2/3) <-> the two-digit national code.
CHRGITM_LV_OUT = {"1": "01", "2": "02", "3": "03"}
CHRGITM_LV_IN = {"1": "1", "01": "1", "2": "2", "02": "2", "3": "3", "03": "3"}
NO_PRICE_CAP = 999999  # pric_uplmt_amt sentinel: no cap

# 基金支付类型 names for setldetail, and the rows that are not funds (R7).
FUND_PAY_TYPE_NAMES = {
    "310100": "城镇职工基本医疗保险统筹基金", "310200": "城镇职工基本医疗保险个人账户基金",
    "310201": "城镇职工基本医疗保险个人账户基金 (共济)", "330100": "大额医疗费用补助基金",
    "390100": "城乡居民基本医疗保险基金", "390200": "城乡居民大病医疗保险基金", "510100": "生育基金",
    "610100": "医疗救助基金", "999996": "医院负担",
}
PERSONAL_ACCOUNT = "310200"  # the account row of setldetail (acct_pay)
MUTUAL_AID_ACCOUNT = "310201"  # the row for a relative's account (acct_mulaid_pay)


def _local(region: str, field: str, value: str) -> str | None:
    return PROVINCIAL.get(region[:2], {}).get(field, {}).get(value)


def med_type(value: object, region: str = "") -> str:
    """The platform's med_type for a national (or provincial) code."""
    code = str(value or "").strip()
    national = _local(region, "med_type", code) or code
    if len(national) == 4 and national[:2] in MED_TYPES and not national.startswith("99"):
        national = national[:2]  # a provincial sub-code: 2101 is a kind of 21
    if national in MED_TYPES:
        return MED_TYPES[national]
    known = ", ".join(f"{k} {v}" for k, v in MED_TYPE_NAMES.items())
    raise UnknownCode("med_type", "医疗类别", code, known)


def insutype(value: object, region: str = "") -> str:
    code = str(value or "").strip()
    national = _local(region, "insutype", code) or code
    if national in INSUTYPES:
        return INSUTYPES[national]
    raise UnknownCode("insutype", "险种类型", code, "310 职工基本医疗保险, 390 城乡居民基本医疗保险, 510 生育保险")


def chrgitm_lv(value: object) -> str:
    """The platform's class ("1"/"2"/"3") for "01"/"02"/"03" or the older 1/2/3."""
    code = str(value or "").strip()
    if code in CHRGITM_LV_IN:
        return CHRGITM_LV_IN[code]
    raise UnknownCode("chrgitm_lv", "收费项目等级", code, "01 甲类, 02 乙类, 03 自费")


def national_chrgitm_lv(platform_class: str) -> str:
    return CHRGITM_LV_OUT[platform_class]


# 就诊凭证类型: what mdtrt_cert_no then holds.
CERT_TYPES = {"01": "电子凭证 (the e-voucher token)", "02": "居民身份证 (the ID number)",
              "03": "社会保障卡 (the card number, i.e. the ID number)"}


def cert_type(value: object) -> str:
    code = str(value or "").strip()
    if code in CERT_TYPES:
        return code
    raise UnknownCode("mdtrt_cert_type", "就诊凭证类型", code, ", ".join(f"{k} {v}" for k, v in CERT_TYPES.items()))


def psn_type(insutype: str, retired: bool, age: int) -> str:
    """人员类别, two-digit national class: 11 employed, 12 retired; residents 14 minor, 15 adult, 16 elderly."""
    if insutype == "310":
        return "12" if retired else "11"
    return "14" if age < 18 else "16" if age >= 60 else "15"
