"""Finds the safe phone number or email in an answer written as a sentence.

People answer "text me on 07700 900123 after 6pm", not "07700900123". The number is found with
libphonenumber (the `phonenumbers` package) and stored in E.164 ("+447700900123"), so the team
dials exactly what was meant whatever the spacing, brackets or country prefix.

An answer with two different numbers (or emails) gives none: "not 07700 900111, that's his, use
07700 900222" must never lead the team to call the wrong one, so the person is asked again.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import Leniency, PhoneMetadata, PhoneNumberFormat, PhoneNumberMatch
from phonenumbers.phonenumber import CountryCodeSource

#: Numbers written without a country code are read as UK numbers.
DEFAULT_REGION = "GB"

# Deliberately simple: one @, a dot in the domain, and no spaces; the caseworker reads it anyway.
_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)


def phone_in(text: str, region: str = DEFAULT_REGION) -> str | None:
    """The one phone number written in `text`, in E.164; None if there is none or several."""
    found = {
        phonenumbers.format_number(match.number, PhoneNumberFormat.E164)
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=Leniency.POSSIBLE)
        if _written_in_full(match, region) and _plausible(match)
    }
    return found.pop() if len(found) == 1 else None


def email_in(text: str) -> str | None:
    """The one email address written in `text`; None if there is none or several."""
    found = set(_EMAIL.findall(text))
    return found.pop() if len(found) == 1 else None


def _written_in_full(match: PhoneNumberMatch, region: str) -> bool:
    """With its area code or country code: "1234" or "ref 123456789" are not phone numbers.

    A UK number is written from its leading 0 ("0121 ...") or with +44, 0044 or 44.
    """
    written = phonenumbers.parse(match.raw_string, region, keep_raw_input=True)
    if written.country_code_source != CountryCodeSource.FROM_DEFAULT_COUNTRY:
        return True
    metadata = PhoneMetadata.metadata_for_region(region)
    national_prefix = metadata.national_prefix if metadata else None
    digits = re.sub(r"\D", "", match.raw_string)
    return bool(national_prefix) and digits.startswith(national_prefix)


def _plausible(match: PhoneNumberMatch) -> bool:
    """A number libphonenumber knows to be in use, or one of its country's full length.

    The second case keeps numbers from ranges the library does not list as in use (newly
    allocated ranges, or Ofcom's reserved drama numbers such as 07700 900xxx) while a number
    missing a digit ("07700 90012") is still refused and asked for again.
    """
    number = match.number
    if phonenumbers.is_valid_number(number):
        return True
    region = phonenumbers.region_code_for_country_code(number.country_code)
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None or metadata.general_desc is None:
        return False
    longest = max(metadata.general_desc.possible_length, default=0)
    return len(phonenumbers.national_significant_number(number)) == longest
