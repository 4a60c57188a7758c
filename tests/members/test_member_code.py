"""The member code at the till: a QR code and a barcode of a code nobody can guess, found again by the counter."""

import pytest

from members.services.member_code import member_by_code, member_code_for

pytestmark = pytest.mark.django_db


def test_a_members_code_finds_that_member_typed_in_any_case(member):
    code = member_code_for(member)

    assert member_by_code(code) == member
    assert member_by_code(f"  {code.lower()} ") == member


def test_a_code_with_another_id_or_a_changed_mac_finds_nobody(member):
    code = member_code_for(member)
    forged_id = code.replace(f"M{member.user_id}-", f"M{member.user_id + 1}-")
    flipped = code[:-1] + ("A" if code[-1] != "A" else "B")

    assert member_by_code(forged_id) is None and member_by_code(flipped) is None
    assert member_by_code("") is None and member_by_code("M1") is None and member_by_code("x" * 500) is None


def test_a_deactivated_member_is_not_found_by_their_code(member):
    code = member_code_for(member)
    member.user.is_active = False
    member.user.save(update_fields=["is_active"])

    assert member_by_code(code) is None


def test_the_member_centre_shows_the_code_as_a_qr_code_and_a_barcode_without_script(client, member):
    client.force_login(member.user)

    overview = client.get("/account/").content.decode()
    response = client.get("/account/code/")
    html = response.content.decode()

    assert response.status_code == 200
    assert member_code_for(member) in html
    assert 'class="qr-code member-qr"' in html and 'class="barcode member-barcode"' in html
    assert "<script" not in html.split('class="panel member-code"')[1].split("</section>")[0]
    assert "/account/code/" in overview
