"""Identifiers that agencies use for people: validation and normal forms.

Pure functions with no Django imports, shared by the forms, the API, the
services and (later) the linkage engine.
"""

import re

_UPN_CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
# Digits are written [0-9], never \d: in Python \d also matches other scripts' digits
# ("١٢٣"), which no agency's system holds and which would slip past the check digit.
_POSTCODE = re.compile(
    r"^(GIR ?0AA|[A-PR-UWYZ](?:[0-9]{1,2}|[A-HK-Y][0-9]{1,2}|[0-9][A-HJKPSTUW]|"
    r"[A-HK-Y][0-9][ABEHMNPRVWXY]) ?[0-9][ABD-HJLNP-UW-Z]{2})$"
)


def nhs_number_digits(value: str) -> str:
    """The NHS number with spaces and hyphens removed."""
    return re.sub(r"[\s-]", "", value or "")


def nhs_number_is_valid(value: str) -> bool:
    """Ten digits with a correct modulus 11 check digit."""
    digits = nhs_number_digits(value)
    if not re.fullmatch(r"[0-9]{10}", digits):
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - (total % 11)
    if check == 11:
        check = 0
    if check == 10:
        return False
    return check == int(digits[9])


def nhs_number_check_digit(first_nine: str) -> int | None:
    """The check digit for nine digits, or None if no valid number starts with them."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - (total % 11)
    if check == 11:
        return 0
    return None if check == 10 else check


def nhs_number_display(value: str) -> str:
    digits = nhs_number_digits(value)
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}" if len(digits) == 10 else value


def upn_normal(value: str) -> str:
    return re.sub(r"\s", "", value or "").upper()


def upn_check_letter(body: str) -> str:
    """The check letter for the 12 characters after it (the last may be a letter)."""
    total = 0
    for weight, char in zip(range(2, 14), body, strict=True):
        value = int(char) if char.isdigit() else _UPN_CHECK_LETTERS.index(char)
        total += value * weight
    return _UPN_CHECK_LETTERS[total % 23]


def upn_is_valid(value: str) -> bool:
    """A check letter, 11 digits, then a digit (permanent) or a letter (temporary)."""
    upn = upn_normal(value)
    if not re.fullmatch(rf"[{_UPN_CHECK_LETTERS}][0-9]{{11}}[0-9{_UPN_CHECK_LETTERS}]", upn):
        return False
    return upn[0] == upn_check_letter(upn[1:])


def postcode_normal(value: str) -> str:
    """Upper case with one space before the inward code: 'sw1a1aa' -> 'SW1A 1AA'."""
    compact = re.sub(r"\s", "", value or "").upper()
    if len(compact) < 5:
        return compact
    return f"{compact[:-3]} {compact[-3:]}"


def postcode_is_valid(value: str) -> bool:
    """A UK postcode format; a valid format does not prove the postcode exists."""
    return bool(_POSTCODE.match(postcode_normal(value)))


def school_urn_normal(value: str) -> str:
    """A school's or setting's unique reference number without spaces: ' 100 000' -> '100000'."""
    return re.sub(r"\s", "", value or "")


def school_urn_is_valid(value: str) -> bool:
    """Six digits, as Get Information about Schools gives them (the first is never 0)."""
    return bool(re.fullmatch(r"[1-9][0-9]{5}", school_urn_normal(value)))


def gp_practice_normal(value: str) -> str:
    """A GP practice's ODS code in capitals without spaces: 'a 12345' -> 'A12345'."""
    return re.sub(r"\s", "", value or "").upper()


def gp_practice_is_valid(value: str) -> bool:
    """An ODS code of a GP practice: a letter and five digits, like A12345 (a valid format
    does not prove the practice exists)."""
    return bool(re.fullmatch(r"[A-Z][0-9]{5}", gp_practice_normal(value)))
