"""Organisation profiles: the right helpline by need and nation, and clear errors for bad files."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from api.org.profile import ProfileError, load_profile
from api.org.router import router
from api.settings import REPO_ROOT, Settings, get_settings

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
    app.dependency_overrides[get_settings] = lambda: settings
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
