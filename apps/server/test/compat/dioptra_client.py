"""Drives Roster's /api/v1 with Dioptra's own Python client (dioptra-platform), unchanged.

Reads ROSTER_URL, a fresh USERNAME, and EXPIRED_ID, EXPIRED_USERNAME and EXPIRED_PASSWORD (a user
whose password has expired) from the environment, and prints one JSON object with what each step
returned; the vitest test (dioptra.integration.test.ts) asserts on it.
"""

import json
import os
import sys

from dioptra.client import connect_json_dioptra_client
from dioptra.client.base import StatusCodeError


def failure(call):
    """The status and JSON body of a call expected to fail."""
    try:
        call()
    except StatusCodeError as err:
        return {"status": err.status_code, "body": json.loads(err.message)}
    return {"status": 200, "body": None}


url = os.environ["ROSTER_URL"]
username = os.environ["USERNAME"]
email = f"{username}@example.com"
password, password2, password3 = "first password", "second password", "third password"
client = connect_json_dioptra_client(url)
out = {}

out["create"] = client.users.create(username, email, password)
out["duplicate"] = failure(lambda: client.users.create(username.upper(), "other@example.com", password))
out["anonymous_current"] = failure(lambda: client.users.get_current())
out["bad_login"] = failure(lambda: client.auth.login(username, "not the password"))
out["login"] = client.auth.login(username, password)
out["current"] = client.users.get_current()
out["by_id"] = client.users.get_by_id(out["current"]["id"])
out["search"] = client.users.get(search=f"username:{username}")
out["search_prefix"] = client.users.get(search=f"username:{username[:-2]}*", page_length=1)
out["page"] = client.users.get(index=0, page_length=1)
out["bad_search"] = failure(lambda: client.users.get(search="nosuchfield:x"))
out["missing_user"] = failure(lambda: client.users.get_by_id(999999))
out["groups"] = client.groups.get()
out["group"] = client.groups.get_by_id(out["current"]["groups"][0]["id"])
out["modify"] = client.users.modify_current_user(username, f"new.{email}")
out["wrong_old_password"] = failure(lambda: client.users.change_current_user_password("wrong password", password2))
out["change_password"] = client.users.change_current_user_password(password, password2)
out["current_after_change"] = client.users.get_current()
out["logout"] = client.auth.logout(everywhere=False)
out["current_after_logout"] = failure(lambda: client.users.get_current())
out["old_password_login"] = failure(lambda: client.auth.login(username, password))
# The expired-password route needs no session: the old password is the proof.
out["change_password_by_id"] = client.users.change_password_by_id(out["current"]["id"], password2, password3)
out["login_again"] = client.auth.login(username, password3)
out["logout_everywhere"] = client.auth.logout(everywhere=True)
client.auth.login(username, password3)
out["delete_wrong_password"] = failure(lambda: client.users.delete_current_user("wrong password"))
out["delete"] = client.users.delete_current_user(password3)
out["login_deleted"] = failure(lambda: client.auth.login(username, password3))

# An expired password refuses login; the user changes it by id, without a session, then signs in.
expired_id, expired_user = os.environ["EXPIRED_ID"], os.environ["EXPIRED_USERNAME"]
expired_password = os.environ["EXPIRED_PASSWORD"]
out["expired_login"] = failure(lambda: client.auth.login(expired_user, expired_password))
out["expired_wrong_id"] = failure(lambda: client.users.change_password_by_id(999999, expired_password, password3))
out["expired_change"] = client.users.change_password_by_id(expired_id, expired_password, password3)
out["expired_login_after"] = client.auth.login(expired_user, password3)
out["expired_current"] = client.users.get_current()

json.dump(out, sys.stdout)
