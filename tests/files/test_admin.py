"""Staff set a user's quota in the Django admin."""

from vocloud.files.models import Quota, quota_bytes


def test_staff_edit_a_quota_in_the_admin(client, staff, alice):
    client.force_login(staff)
    assert quota_bytes(alice) == 5 * 1024**3  # nobody set one: the default
    response = client.post(
        "/admin/files/quota/add/", {"user": alice.pk, "bytes": 1024**3}, follow=True
    )
    assert response.status_code == 200
    assert quota_bytes(alice) == 1024**3
    listing = client.get("/admin/files/quota/").content.decode()
    assert "1 GB" in listing and "0 bytes" in listing
    assert str(Quota.objects.get(user=alice)) == "alice: 1 GB"
