"""Organisation profiles: the right helpline by need and nation, the landlord's own contacts and
housing options, the 24-hour line, and clear errors for bad files."""

from __future__ import annotations

import datetime as dt
import logging
import re
import shutil
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from api.org.profile import ProfileError, load_profile
from api.org.router import router
from api.settings import REPO_ROOT, Settings, current_settings
from tests.timing_cases import OUT_OF_HOURS, orgs_in

ORGS = REPO_ROOT / "orgs"


@pytest.mark.parametrize("org_id", ["stonewater", "wolverhampton-homes"])
def test_seed_profiles_load(org_id: str) -> None:
    profile = load_profile(ORGS, org_id)
    assert profile.nation == "ENG"
    assert profile.exit_url.startswith("https://")
    assert profile.hours_on(dt.date(2026, 11, 23)) is not None  # a Monday
    assert profile.hours_on(dt.date(2026, 11, 22)) is None  # a Sunday


@pytest.mark.parametrize(
    ("need", "nation", "first_contact"),
    [
        ("general", "ENG", "0808 2000 247"),
        ("general", "WLS", "0808 80 10 800"),
        ("general", "SCT", "0800 027 1234"),
        ("general", "NIR", "0808 802 1414"),
        ("men", "ENG", "0808 801 0327"),
        ("lgbt", "WLS", "0800 999 5428"),
        ("honour", "ENG", "0800 5999 247"),
        ("honour", "SCT", "0800 027 1234"),
        ("perpetrator", "ENG", "0808 802 4040"),
        ("injunction", "ENG", "0800 970 2070, or text NCDV to 60777"),
        ("money", "ENG", "0800 138 1111"),
        ("money", "NIR", "0800 138 1111"),
        ("legal", "ENG", "0345 345 4345"),
        ("legal", "WLS", "0345 345 4345"),
        ("children", "SCT", "0808 800 5000"),
        ("stalking", "ENG", "0808 802 0300"),
        ("police_non_emergency", "NIR", "101"),
    ],
)
def test_helpline_by_need_and_nation(need: str, nation: str, first_contact: str) -> None:
    profile = load_profile(ORGS, "stonewater")
    assert profile.helplines_for(need, nation)[0].contact == first_contact


def test_deaf_access_is_listed_everywhere() -> None:
    profile = load_profile(ORGS, "stonewater")
    for nation in ("ENG", "WLS", "SCT", "NIR"):
        assert "18000" in profile.helplines_for("deaf", nation)[0].contact


def test_local_services_follow_the_national_line() -> None:
    profile = load_profile(ORGS, "wolverhampton-homes")
    names = [h.name for h in profile.helplines_for("general")]
    assert names[0].startswith("National Domestic Abuse Helpline")
    assert "Black Country Women's Aid" in names
    assert [h.contact for h in profile.helplines_for("local")] == ["0121 553 0090", "08000 194 400"]


def _copy_orgs(tmp_path: Path) -> Path:
    target = tmp_path / "orgs"
    shutil.copytree(ORGS, target)
    return target


def test_an_organisation_confirms_a_national_entry_by_id(tmp_path: Path) -> None:
    orgs = _copy_orgs(tmp_path)
    confirmed = (
        "helplines:\n  - {id: mens-advice-line, name: Men's Advice Line, hours: Mon-Fri 10am-8pm,"
        " contact: '0808 801 0327', needs: [men], nations: [ENG], verified: true}"
    )
    text = (orgs / "stonewater.yml").read_text().replace("helplines: []", confirmed)
    (orgs / "stonewater.yml").write_text(text)
    profile = load_profile(orgs, "stonewater")
    lines = profile.helplines_for("men")
    assert [(h.hours, h.verified) for h in lines] == [("Mon-Fri 10am-8pm", True)]
    assert "Men's Advice Line" not in profile.unverified()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("nation: ENG", "nation: FRA"), "nation"),
        (('  mon: "09:00-17:00"', '  monday: "09:00-17:00"'), "unknown weekday"),
        (('  tue: "09:00-17:00"', '  tue: "17:00-09:00"'), "close before they open"),
        (('exit_url: "https://', 'exit_url: "http://'), "https"),
        (("name: Stonewater", "name: Stonewater\ncolour: blue"), "colour"),
    ],
)
def test_bad_profile_names_the_file_and_the_problem(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    orgs = _copy_orgs(tmp_path)
    path = orgs / "stonewater.yml"
    path.write_text(path.read_text().replace(*change, 1))
    with pytest.raises(ProfileError, match=message) as error:
        load_profile(orgs, "stonewater")
    assert "stonewater.yml" in str(error.value)


def test_missing_profile_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="no such organisation profile"):
        load_profile(_copy_orgs(tmp_path), "nobody")


@pytest.fixture
def client() -> TestClient:
    app = FastAPI()
    app.include_router(router)
    settings = Settings(service_token=SecretStr("t0ken"), org="wolverhampton-homes")
    app.dependency_overrides[current_settings] = lambda: settings
    return TestClient(app)


def test_internal_org_answers_only_with_the_service_token(client: TestClient) -> None:
    assert client.get("/internal/org").status_code == 401
    assert client.get("/internal/org", headers={"Authorization": "Bearer wrong"}).status_code == 401
    answer = client.get("/internal/org", headers={"Authorization": "Bearer t0ken"})
    assert answer.status_code == 200
    assert answer.json()["name"] == "Wolverhampton Homes"


def test_internal_helplines_never_leave_a_person_without_a_number(client: TestClient) -> None:
    auth = {"Authorization": "Bearer t0ken"}
    men = client.get("/internal/helplines?need=men&nation=SCT", headers=auth).json()
    assert men["helplines"][0]["contact"] == "0808 801 0327"
    injunction_ni = client.get("/internal/helplines?need=injunction&nation=NIR", headers=auth)
    assert injunction_ni.json()["helplines"][0]["contact"] == "0808 802 1414"
    assert client.get("/internal/helplines?need=pizza", headers=auth).status_code == 422


def test_the_gateway_refuses_a_bad_query_without_echoing_it(tmp_path: Path) -> None:
    """Through the real app: the 422 handler and the security headers cover every router."""
    settings = Settings(service_token=SecretStr("t0ken"), var_dir=tmp_path)
    client = TestClient(create_app(settings))
    answer = client.get(
        "/internal/helplines?need=purple-heron-canary", headers={"Authorization": "Bearer t0ken"}
    )
    assert answer.status_code == 422
    assert "purple-heron-canary" not in answer.text
    assert answer.headers["cache-control"] == "no-store"


NEW_NEEDS = ("money", "legal", "children", "stalking", "police_non_emergency")
NATIONS = ("ENG", "WLS", "SCT", "NIR")


@pytest.mark.parametrize("need", NEW_NEEDS)
@pytest.mark.parametrize("nation", NATIONS)
def test_every_new_need_answers_with_a_line_in_every_nation(
    client: TestClient, need: str, nation: str
) -> None:
    answer = client.get(
        f"/internal/helplines?need={need}&nation={nation}",
        headers={"Authorization": "Bearer t0ken"},
    )
    assert answer.status_code == 200
    assert answer.json()["helplines"], (need, nation)


@pytest.mark.parametrize(
    ("need", "nation", "contacts"),
    [
        ("money", "ENG", ["0800 138 1111", "0800 144 8848"]),
        ("money", "WLS", ["0800 138 1111", "0800 702 2020"]),
        ("legal", "ENG", ["0345 345 4345", "0800 144 8848"]),
        ("children", "ENG", ["0808 800 5000", "0800 1111"]),
        ("stalking", "WLS", ["0808 802 0300"]),
        ("police_non_emergency", "SCT", ["101"]),
    ],
)
def test_the_new_lines_in_order(need: str, nation: str, contacts: list[str]) -> None:
    profile = load_profile(ORGS, "stonewater")
    assert [h.contact for h in profile.helplines_for(need, nation)] == contacts  # type: ignore[arg-type]


def test_new_lines_are_unverified_except_police_101() -> None:
    profile = load_profile(ORGS, "stonewater")
    verified = {h.id: h.verified for h in profile.helplines_in_use()}
    assert verified["police-101"] is True
    for entry in (
        "stepchange",
        "civil-legal-advice",
        "citizens-advice-england",
        "citizens-advice-wales",
        "nspcc",
        "childline",
        "national-stalking-helpline",
    ):
        assert verified[entry] is False, entry
    unverified = profile.unverified()
    assert "Civil Legal Advice (free legal advice if you qualify)" in unverified
    assert "Police non-emergency" not in unverified


def test_the_out_of_date_legal_number_is_not_offered() -> None:
    for org_id in ("stonewater", "wolverhampton-homes"):
        profile = load_profile(ORGS, org_id)
        contacts = [h.contact for h in profile.helplines_in_use()]
        contacts += [c.contact for c in profile.contacts]
        assert not any("0845" in c for c in contacts)


def test_stonewater_contacts_from_its_policy_are_confirmed() -> None:
    profile = load_profile(ORGS, "stonewater")
    contacts = {c.id: (c.contact, c.verified) for c in profile.contacts}
    assert contacts == {
        "customer-service-centre": ("01202 319119", True),
        "resolution-team-email": ("resolution@stonewater.org", True),
    }


def test_wolverhampton_contacts_from_its_policy() -> None:
    profile = load_profile(ORGS, "wolverhampton-homes")
    contacts = {c.id: c for c in profile.contacts}
    assert contacts["domestic-abuse-page"].contact == (
        "https://www.wolverhamptonhomes.org.uk/help-support/worries-about-a-person/domestic-abuse/"
    )
    assert contacts["police-101"].contact == "101"
    assert "havenrefuge.org.uk" in contacts["the-haven-web-chat"].contact
    assert not contacts["the-haven-web-chat"].verified  # the policy's list is dated March 2022
    assert "refer" in contacts["money-smart-team"].contact
    assert "The Haven Wolverhampton web chat" in profile.unverified()
    assert {h.id for h in profile.helplines} == {"bcwa", "the-haven"}


@pytest.mark.parametrize("org_id", ["stonewater", "wolverhampton-homes"])
def test_seed_landlords_have_no_out_of_hours_service(org_id: str) -> None:
    assert load_profile(ORGS, org_id).out_of_hours is None


def test_housing_options_follow_each_policy() -> None:
    stonewater = [o.id for o in load_profile(ORGS, "stonewater").housing_options]
    wolverhampton = [o.id for o in load_profile(ORGS, "wolverhampton-homes").housing_options]
    assert stonewater == [
        "management_transfer",
        "sanctuary",
        "temporary_accommodation",
        "joint_to_sole",
        "money_advice",
        "repairs",
    ]
    # Wolverhampton's policy promises no repair timescale or cost: no repairs entry.
    assert wolverhampton == [
        "management_transfer",
        "sanctuary",
        "temporary_accommodation",
        "joint_to_sole",
        "money_advice",
    ]


def test_security_work_promises_only_what_each_policy_does() -> None:
    stonewater = {o.id: o for o in load_profile(ORGS, "stonewater").housing_options}
    wolverhampton = {o.id: o for o in load_profile(ORGS, "wolverhampton-homes").housing_options}
    for option in (stonewater["sanctuary"], stonewater["repairs"]):
        assert "24 hours" in option.text and "24 hours" in option.discreet_text
        assert "charged" in option.text and re.search(r"\bno cost\b|\bfree\b", option.discreet_text)
    assert "24 hours" not in wolverhampton["sanctuary"].text
    assert "Money Smart Team" in wolverhampton["money_advice"].text


#: Words that tell someone reading over a shoulder what the conversation is about.
REVEALING = re.compile(
    r"\b(abus\w*|violen\w*|police|danger\w*|perpetrator\w*|refuge\w*|safeguarding|victim\w*"
    r"|survivor\w*|sanctuary|idva|harm\w*|hurt\w*|domestic|assault\w*|escape\w*|flee\w*)\b",
    re.IGNORECASE,
)


@pytest.mark.parametrize("org_id", ["stonewater", "wolverhampton-homes"])
def test_titles_and_discreet_texts_carry_no_revealing_word(org_id: str) -> None:
    for option in load_profile(ORGS, org_id).housing_options:
        for text in (option.title, option.discreet_text):
            assert not REVEALING.search(text), (option.id, text)


@pytest.mark.parametrize("org_id", ["stonewater", "wolverhampton-homes"])
def test_housing_option_texts_are_short(org_id: str) -> None:
    for option in load_profile(ORGS, org_id).housing_options:
        for text in (option.text, option.discreet_text):
            sentences = [s for s in re.split(r"(?<=[.!?])\s+", text) if s]
            assert 1 <= len(sentences) <= 3 and len(text) <= 300, (option.id, text)


def test_the_round_the_clock_line_is_the_nations_24_hour_line(tmp_path: Path) -> None:
    assert load_profile(ORGS, "wolverhampton-homes").round_the_clock_line().id == "ndah"
    orgs = _copy_orgs(tmp_path)
    path = orgs / "stonewater.yml"
    path.write_text(path.read_text().replace("nation: ENG", "nation: SCT", 1))
    assert load_profile(orgs, "stonewater").round_the_clock_line().contact == "0800 027 1234"


def test_without_a_24_hour_line_the_first_general_line_is_given(tmp_path: Path) -> None:
    orgs = _copy_orgs(tmp_path)
    path = orgs / "helplines.yml"
    path.write_text(path.read_text().replace('"24 hours, every day"', '"check current hours"'))
    line = load_profile(orgs, "stonewater").round_the_clock_line()
    assert line.id == "ndah" and line.hours == "check current hours"


def test_a_nation_without_a_general_line_stops_start_up(tmp_path: Path) -> None:
    orgs = _copy_orgs(tmp_path)
    path = orgs / "helplines.yml"
    path.write_text(
        path.read_text().replace(
            "needs: [general]\n    nations: [ENG]", "needs: [men]\n    nations: [ENG]"
        )
    )
    with pytest.raises(ProfileError, match="no general helpline for nation ENG"):
        load_profile(orgs, "stonewater")


def test_an_id_listed_twice_is_refused(tmp_path: Path) -> None:
    orgs = _copy_orgs(tmp_path)
    path = orgs / "stonewater.yml"
    text = path.read_text().replace("id: resolution-team-email", "id: customer-service-centre")
    path.write_text(text)
    with pytest.raises(ProfileError, match="customer-service-centre"):
        load_profile(orgs, "stonewater")


def test_an_out_of_hours_service_is_read_and_awaits_confirmation(tmp_path: Path) -> None:
    profile = load_profile(orgs_in(tmp_path, "ENG", out_of_hours=OUT_OF_HOURS), "stonewater")
    assert profile.out_of_hours is not None
    assert profile.out_of_hours.contact == "0300 000 0000"
    assert "Example Housing out-of-hours line" in profile.unverified()


def test_internal_org_gives_what_the_assistant_renders(client: TestClient) -> None:
    body = client.get("/internal/org", headers={"Authorization": "Bearer t0ken"}).json()
    assert (body["helpline_name"], body["helpline_contact"]) == (
        "National Domestic Abuse Helpline (Refuge)",
        "0808 2000 247",
    )
    assert body["out_of_hours"] is None
    assert [o["id"] for o in body["housing_options"]][0] == "management_transfer"
    assert set(body["housing_options"][0]) == {"id", "title", "text", "discreet_text"}
    assert {c["id"] for c in body["contacts"]} >= {"domestic-abuse-page", "police-101"}
    assert set(body["contacts"][0]) == {"id", "name", "contact", "purpose", "verified"}


def test_internal_org_gives_the_out_of_hours_service(tmp_path: Path) -> None:
    app = FastAPI()
    app.include_router(router)
    settings = Settings(
        service_token=SecretStr("t0ken"),
        org="stonewater",
        org_dir=orgs_in(tmp_path, "ENG", out_of_hours=OUT_OF_HOURS),
    )
    app.dependency_overrides[current_settings] = lambda: settings
    body = TestClient(app).get("/internal/org", headers={"Authorization": "Bearer t0ken"}).json()
    assert body["out_of_hours"] == {
        "name": "Example Housing out-of-hours line",
        "contact": "0300 000 0000",
        "hours": "evenings, weekends and bank holidays",
        "verified": False,
    }


def test_start_up_warns_about_each_unverified_entry(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(service_token=SecretStr("t0ken"), var_dir=tmp_path, org="stonewater")
    with (
        caplog.at_level(logging.WARNING, logger="quietdoor.gateway"),
        TestClient(create_app(settings)),
    ):
        pass
    warned = [
        r.getMessage().rsplit(": ", 1)[1]
        for r in caplog.records
        if r.getMessage().startswith("unverified organisation data")
    ]
    assert warned == load_profile(ORGS, "stonewater").unverified()
    assert (
        "National Stalking Helpline" in warned
        and "StepChange Debt Charity (free debt advice)" in warned
    )
