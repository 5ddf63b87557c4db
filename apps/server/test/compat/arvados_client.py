"""Drives Roster's /arvados/v1 with the Arvados Python SDK (arvados-python-client), unchanged.

The SDK builds its API object from Roster's discovery document. Reads ROSTER_URL, an admin's
USERNAME and PASSWORD, and a fresh NEW_USERNAME from the environment, and prints one JSON object
with what each step returned; the vitest test (arvados.integration.test.ts) asserts on it.
"""

import json
import os
import sys
import urllib.error
import urllib.request

import arvados
import arvados.errors

url = os.environ["ROSTER_URL"]
discovery = url + "/discovery/v1/apis/{api}/{apiVersion}/rest"
out = {}


def authenticate(username, password):
    """users.authenticate as Arvados clients call it: a plain POST, outside the discovery document."""
    req = urllib.request.Request(
        url + "/arvados/v1/users/authenticate",
        data=json.dumps({"username": username, "password": password}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req) as res:
            return res.status, json.load(res)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


def failure(request):
    """The status and reason of an API call expected to fail."""
    try:
        request.execute()
    except arvados.errors.ApiError as err:
        return {"status": err.resp.status, "reason": str(err._get_reason())}
    return {"status": 200, "reason": None}


status, bad = authenticate(os.environ["USERNAME"], "not the password")
out["authenticate_bad"] = {"status": status, "body": bad}
status, auth = authenticate(os.environ["USERNAME"], os.environ["PASSWORD"])
out["authenticate"] = {"status": status, "body": auth}
token = f"v2/{auth['uuid']}/{auth['api_token']}"

api = arvados.api("v1", discoveryServiceUrl=discovery, token=token, cache=False, num_retries=0)
me = api.users().current().execute()
out["current"] = me
out["token_current"] = api.api_client_authorizations().current().execute()
out["system"] = api.users().system().execute()
out["get"] = api.users().get(uuid=me["uuid"]).execute()
out["get_select"] = api.users().get(uuid=me["uuid"], select=["uuid", "username"]).execute()
out["list_filtered"] = (
    api.users().list(filters=[["username", "=", me["username"]], ["is_active", "=", True]]).execute()
)
out["list_ordered"] = (
    api.users().list(order=["username desc"], limit=2, offset=0, count="none", select=["uuid", "username"]).execute()
)
out["list_bad_filter"] = failure(api.users().list(filters=[["no_such_attribute", "=", 1]]))

new_username = os.environ["NEW_USERNAME"]
created = api.users().create(
    body={"user": {"email": f"{new_username}@example.com", "username": new_username, "first_name": "New"}}
).execute()
out["create"] = created
out["create_duplicate"] = failure(
    api.users().create(body={"user": {"email": "x@example.com", "username": new_username.upper()}})
)
out["update"] = api.users().update(uuid=created["uuid"], body={"user": {"last_name": "Comer", "prefs": {"k": 1}}}).execute()
out["unsetup"] = api.users().unsetup(uuid=created["uuid"]).execute()
out["setup"] = api.users().setup(uuid=created["uuid"]).execute()
out["activate"] = api.users().activate(uuid=created["uuid"]).execute()
out["setup_new"] = api.users().setup(user={"email": f"{new_username}.setup@example.com", "first_name": "Set"}).execute()
out["setup_neither"] = failure(api.users().setup())
old_uuid = out["setup_new"]["items"][-1]["uuid"]
out["merge"] = api.users().merge(
    old_user_uuid=old_uuid, new_user_uuid=created["uuid"], new_owner_uuid=created["uuid"], redirect_to_new_user=True
).execute()
out["get_merged"] = failure(api.users().get(uuid=old_uuid))

token_created = api.api_client_authorizations().create(
    body={"api_client_authorization": {"scopes": ["GET /arvados/v1/users/current"]}}
).execute()
out["token_create"] = token_created
scoped = arvados.api(
    "v1",
    discoveryServiceUrl=discovery,
    token=f"v2/{token_created['uuid']}/{token_created['api_token']}",
    cache=False,
    num_retries=0,
)
out["scoped_current"] = scoped.users().current().execute()
out["scoped_list"] = failure(scoped.users().list())
out["token_list"] = api.api_client_authorizations().list(filters=[["uuid", "=", token_created["uuid"]]]).execute()
out["token_delete"] = api.api_client_authorizations().delete(uuid=token_created["uuid"]).execute()
out["scoped_after_delete"] = failure(scoped.users().current())

group = api.groups().create(body={"group": {"name": f"{new_username} team", "group_class": "role"}}).execute()
out["group_create"] = group
out["group_list"] = api.groups().list(filters=[["group_class", "=", "role"], ["uuid", "=", group["uuid"]]]).execute()
link = api.links().create(
    body={"link": {"link_class": "permission", "name": "can_read", "tail_uuid": created["uuid"], "head_uuid": group["uuid"]}}
).execute()
out["link_create"] = link
out["link_update"] = api.links().update(uuid=link["uuid"], body={"link": {"name": "can_write"}}).execute()
out["link_list"] = api.links().list(filters=[["head_uuid", "=", group["uuid"]]]).execute()
out["permissions"] = api.links().get_permissions(uuid=group["uuid"]).execute()
out["computed"] = api.computed_permissions().list(filters=[["user_uuid", "=", created["uuid"]]]).execute()
out["link_delete"] = api.links().delete(uuid=link["uuid"]).execute()
out["group_delete"] = api.groups().delete(uuid=group["uuid"]).execute()

out["delete"] = api.users().delete(uuid=created["uuid"]).execute()
out["get_deleted"] = failure(api.users().get(uuid=created["uuid"]))

bad_token = arvados.api("v1", discoveryServiceUrl=discovery, token="v2/zzzzz-gj3su-000000000000000/nope0000000000000000000000", cache=False, num_retries=0)
out["bad_token"] = failure(bad_token.users().current())

json.dump(out, sys.stdout)
