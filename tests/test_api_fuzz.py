"""Whatever JSON arrives, signing answers with a client status and never a server error."""
import json

from hypothesis import HealthCheck, given, settings, strategies as st

from .builders import make_campaign

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=200),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
field_values = st.one_of(json_values, st.text(max_size=300), st.sampled_from(["PK", "ur", "en", "a@example.org", "on"]))
bodies = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={name: field_values for name in ("name", "email", "country", "region", "comment", "opt_in", "lang", "ref", "origin")},
    ),
)


def test_any_json_body_gets_a_client_answer(app):
    with app.app_context():
        slug = make_campaign().slug
    client = app.test_client()

    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(body=bodies)
    def sign(body):
        response = client.post(f"/api/v1/campaigns/{slug}/signatures", data=json.dumps(body), content_type="application/json")
        assert response.status_code in (202, 400, 422), (body, response.data)
        assert response.is_json

    sign()


supporter_values = st.one_of(
    field_values,
    st.sampled_from(["0300 1234567", "+44 7911 123456", "۰۳۰۰ ۱۲۳۴۵۶۷", "PK-BA", "outside", "GB", "ur"]),
)
supporter_bodies = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            name: supporter_values
            for name in ("name", "email", "phone", "region", "country", "note", "lang", "email_lang", "ref", "origin", "form_token")
        },
    ),
)


def test_any_json_body_to_the_coordinator_and_notify_forms_gets_a_client_answer(app):
    with app.app_context():
        slug = make_campaign().slug
    client = app.test_client()

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(body=supporter_bodies, path=st.sampled_from(["coordinators", "subscriptions"]))
    def send(body, path):
        response = client.post(f"/api/v1/campaigns/{slug}/{path}", data=json.dumps(body), content_type="application/json")
        assert response.status_code in (202, 400, 422), (body, response.data)
        assert response.is_json

    send()
