"""The lists' query parameters (search, page, limit, offset) as anyone may type them: odd
values are refused or brought within bounds, never a 500."""

from __future__ import annotations

from services.identity.tests.portal import (
    GOOD_PASSWORD,
    Portal,
    back_office,
    customer_with_access,
)


async def test_odd_search_and_paging_values_are_refused_or_bounded(portal: Portal) -> None:
    staff = await back_office(portal)
    organisation_id, user_id, user_code = await customer_with_access(portal, staff)
    await portal.call(
        "POST",
        f"/organisations/{organisation_id}/users/{user_id}/administrator",
        token=staff,
        expect=204,
    )
    admin = (await portal.sign_in(user_code, GOOD_PASSWORD))["access_token"]

    for path, token in (("/organisations", staff), ("/organisation/users", admin)):
        status, problem = await portal.request("GET", f"{path}?search=%00", token=token)
        assert (status, problem["detail"]) == (400, "`search` must not contain a NUL character.")
    status, problem = await portal.request("GET", "/organisations?limit=ten", token=staff)
    assert (status, problem["detail"]) == (400, "`limit` must be a number.")

    huge = "9" * 30
    status, page = await portal.request("GET", f"/organisations?offset={huge}", token=staff)
    assert (status, page["items"]) == (200, [])
    status, page = await portal.request("GET", "/organisations?offset=-5&limit=1000", token=staff)
    assert (status, page["total"], len(page["items"])) == (200, 1, 1)
    status, page = await portal.request("GET", f"/organisation/users?page={huge}", token=admin)
    assert (status, page["items"]) == (200, [])
    status, page = await portal.request("GET", "/organisation/users?page=-3", token=admin)
    assert (status, page["page"], page["total"]) == (200, 1, 1)
