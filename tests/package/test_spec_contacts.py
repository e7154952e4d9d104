"""The [contacts] section: interface keys, the resistance's unit and the checks."""

from __future__ import annotations

import tomllib

import pytest

from fea.errors import InputError
from fea.package.spec.contacts import parse_contacts
from fea.package.spec.reader import Section


def _parse(text: str) -> dict[str, float]:
    return parse_contacts(Section(tomllib.loads(text).get("contacts", {}), "contacts"))


def test_contacts_in_si_and_sorted_names():
    got = _parse(
        """
        [contacts]
        "die|die_attach" = {R_mm2K_per_W = 10}
        "shell|encapsulant" = {R_mm2K_per_W = 2.5e-3}
        """
    )
    # 1 mm^2 = 1e-6 m^2: 10 mm^2 K/W = 1e-5 m^2 K/W
    assert got == {
        "die|die_attach": pytest.approx(1e-5),
        "encapsulant|shell": pytest.approx(2.5e-9),
    }
    assert _parse("") == {}


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('"die" = {R_mm2K_per_W = 1}', "contacts.die"),
        ('"die|die" = {R_mm2K_per_W = 1}', "contacts.die|die"),
        ('"a|b|c" = {R_mm2K_per_W = 1}', "contacts.a|b|c"),
        ('"die|" = {R_mm2K_per_W = 1}', "contacts.die|"),
        ('"die|die_attach" = 10', "contacts.die|die_attach"),
        ('"die|die_attach" = {R_mm2K_per_W = 0}', "contacts.die|die_attach.R_mm2K_per_W"),
        ('"die|die_attach" = {R_mm2K_per_W = -1}', "contacts.die|die_attach.R_mm2K_per_W"),
        ('"die|die_attach" = {R_mm2K_per_W = nan}', "contacts.die|die_attach.R_mm2K_per_W"),
        ('"die|die_attach" = {R_mm2K_per_W = inf}', "contacts.die|die_attach.R_mm2K_per_W"),
        ('"die|die_attach" = {R_mm2K_per_W = "10"}', "contacts.die|die_attach.R_mm2K_per_W"),
        ('"die|die_attach" = {}', "contacts.die|die_attach.R_mm2K_per_W"),
        ('"die|die_attach" = {R_mm2K_per_W = 1, h = 2}', "contacts.die|die_attach.h"),
        (
            '"die|die_attach" = {R_mm2K_per_W = 1}\n"die_attach|die" = {R_mm2K_per_W = 2}',
            "contacts.die_attach|die",
        ),
    ],
)
def test_contact_errors_name_the_key(text, key):
    with pytest.raises(InputError) as err:
        _parse("[contacts]\n" + text)
    assert err.value.key == key
