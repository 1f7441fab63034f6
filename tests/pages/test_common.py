"""What every page shares: language, error pages, sign-in redirects, the language switch."""

from __future__ import annotations

from library.db import Database
from tests.support import factories
from tests.support.api import Client, client_from
from tests.support.forms import csrf_token, post_form, sign_in


async def test_home_page_is_german_by_default_and_english_on_request(client: Client) -> None:
    german = await client.get("/")
    assert german.status_code == 200
    assert '<html lang="de">' in german.text
    assert "Zum Inhalt springen" in german.text
    english = await client.get("/", headers={"accept-language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in english.text
    assert "Skip to content" in english.text


async def test_an_unknown_page_is_a_readable_404_page_but_the_api_keeps_problem_json(client: Client) -> None:
    page = await client.get("/no-such-page")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Seite nicht gefunden" in page.text
    api = await client.get("/api/v1/no-such-thing")
    assert api.status_code == 404
    assert api.headers["content-type"].startswith("application/problem+json")


async def test_the_language_switch_sticks_and_goes_back_to_the_page(client: Client, db: Database) -> None:
    response = await post_form(client, "/language", {"lang": "en", "next": "/login"})
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert "Sign in" in (await client.get("/login")).text
    # Somewhere else only local paths are followed.
    away = await post_form(client, "/language", {"lang": "de", "next": "//evil.example/"})
    assert away.headers["location"] == "/"
    assert "Anmelden" in (await client.get("/login")).text


async def test_the_language_chosen_while_signed_in_is_kept_for_mails(client: Client, db: Database) -> None:
    await factories.create_user(db)
    await sign_in(client, "anna@example.org")
    await post_form(client, "/language", {"lang": "en", "next": "/"})
    me = await client.get("/api/v1/me")
    assert me.json()["language"] == "en"


async def test_a_form_without_its_csrf_token_gets_a_readable_403_page(client: Client) -> None:
    await client.get("/login")
    response = await client.post("/language", data={"lang": "en"}, follow_redirects=False)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "Sicherheitstoken" in response.text


async def test_another_sessions_csrf_pair_is_refused(client: Client, db: Database) -> None:
    """Someone signed in elsewhere cannot lend their cookie and token to a forged form."""
    await factories.create_user(db)
    await factories.create_user(db, "mallory@example.org", name="Mallory")
    await sign_in(client, "anna@example.org")
    mallory = client_from(client, "198.51.100.66")
    await sign_in(mallory, "mallory@example.org")
    lent = await csrf_token(mallory, "/account")
    assert lent == mallory.cookies["csrftoken"]

    own = await csrf_token(client, "/account")
    assert own != lent
    client.cookies.set("csrftoken", lent, domain="testserver.local")  # the one the server set
    forged = await client.post("/logout", data={"_csrf_token": lent}, follow_redirects=False)
    assert forged.status_code == 403
    assert "Sicherheitstoken" in forged.text
    assert (await client.get("/api/v1/me")).status_code == 200  # still signed in

    # The next page puts the session's own token back, and with it the form passes.
    token = await csrf_token(client, "/account")
    assert token == own == client.cookies["csrftoken"]
    out = await client.post("/logout", data={"_csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
