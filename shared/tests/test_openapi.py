"""The OpenAPI document a service serves, and the fuzz helper that holds a server to it."""

from __future__ import annotations

import enum
import uuid
from typing import Annotated, Any

import aiohttp
import pytest
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError, computed_field

from shared.http.middleware import observe, problems
from shared.http.openapi import openapi_document, operation, serve_document
from shared.http.problems import Problem, read_json, validation_problem
from tests.support import assert_valid_openapi, fuzz, serving

UUID_PATTERN = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
TOKEN = {"Authorization": "Bearer sample-token"}


class Colour(enum.StrEnum):
    RED = "red"
    BLUE = "blue"


class NewWidget(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=50)]
    colour: Colour = Colour.RED


class Widget(BaseModel):
    widget_id: uuid.UUID
    name: str
    colour: Colour


class WidgetPage(BaseModel):
    items: list[Widget]


class WidgetQuery(BaseModel):
    limit: Annotated[int, Field(ge=1, le=100, description="How many at most.")] = 20
    colour: Colour | None = None


class RatioQuery(BaseModel):
    divisor: int


class Ratio(BaseModel):
    value: float


class Status(BaseModel):
    status: str


def sample_app(*, divides_by_zero: bool = False) -> web.Application:
    """A small described API; `divides_by_zero` plants a bug that answers some input with 500."""
    widgets: dict[uuid.UUID, Widget] = {}
    routes = web.RouteTableDef()

    def authenticated(request: web.Request) -> None:
        # Exact token: schemathesis makes up bearer tokens of its own, which must not pass.
        if request.headers.get("Authorization") != TOKEN["Authorization"]:
            raise Problem(401, "Unauthenticated", "Send an access token.")

    def query_of(request: web.Request, model: type[BaseModel]) -> Any:
        try:
            return model.model_validate(dict(request.query))
        except ValidationError as error:
            raise validation_problem(error) from None

    @routes.post("/widgets")
    @operation("Make a widget", request=NewWidget, responses={201: Widget}, tags=("widgets",))
    async def make_widget(request: web.Request) -> web.Response:
        authenticated(request)
        body = await read_json(request, NewWidget)
        widget = Widget(widget_id=uuid.uuid4(), name=body.name, colour=body.colour)
        widgets[widget.widget_id] = widget
        return web.json_response(widget.model_dump(mode="json"), status=201)

    @routes.get("/widgets")
    @operation("List widgets", query=WidgetQuery, responses={200: WidgetPage}, tags=("widgets",))
    async def list_widgets(request: web.Request) -> web.Response:
        authenticated(request)
        query = query_of(request, WidgetQuery)
        found = [w for w in widgets.values() if query.colour in {None, w.colour}]
        page = WidgetPage(items=found[: query.limit])
        return web.json_response(page.model_dump(mode="json"))

    @routes.get(f"/widgets/{{widget_id:{UUID_PATTERN}}}")
    @operation("Read a widget", responses={200: Widget, 404: None}, tags=("widgets",))
    async def read_widget(request: web.Request) -> web.Response:
        authenticated(request)
        widget = widgets.get(uuid.UUID(request.match_info["widget_id"]))
        if widget is None:
            raise Problem(404, "Not found", "There is no such widget.")
        return web.json_response(widget.model_dump(mode="json"))

    @routes.get("/ratio")
    @operation("Divide a hundred", query=RatioQuery, responses={200: Ratio})
    async def ratio(request: web.Request) -> web.Response:
        authenticated(request)
        query = query_of(request, RatioQuery)
        if query.divisor == 0 and not divides_by_zero:
            raise Problem(422, "Invalid request", "The divisor cannot be zero.")
        return web.json_response(Ratio(value=100 / query.divisor).model_dump(mode="json"))

    @routes.get("/status")
    @operation("Say the service is up", responses={200: Status}, public=True)
    async def status(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application(middlewares=[observe, problems])
    app.add_routes(routes)
    serve_document(app, title="Sample", version="1.2.3")
    return app


async def served_document(base_url: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session, session.get(f"{base_url}/openapi.json") as r:
        assert r.status == 200
        assert r.content_type == "application/json"
        return await r.json()


@pytest.fixture
async def document() -> dict[str, Any]:
    async with serving(sample_app()) as url:
        return await served_document(url)


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


async def test_the_served_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"] == "3.1.0"
    assert document["info"] == {"title": "Sample", "version": "1.2.3"}
    assert_valid_openapi(document)


async def test_only_described_routes_are_in_it(document: dict[str, Any]) -> None:
    assert set(document["paths"]) == {"/widgets", "/widgets/{widget_id}", "/ratio", "/status"}
    assert set(document["paths"]["/widgets"]) == {"get", "post"}
    assert set(document["paths"]["/widgets/{widget_id}"]) == {"get"}  # no HEAD twin


async def test_models_are_shared_components_named_once(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert set(schemas) == {
        "Colour",
        "NewWidget",
        "Widget",
        "WidgetPage",
        "Ratio",
        "Status",
        "Problem",
        "ProblemFieldError",
    }  # query models became parameters, not schemas
    paths = document["paths"]
    created = paths["/widgets"]["post"]["responses"]["201"]["content"]["application/json"]
    read = paths["/widgets/{widget_id}"]["get"]["responses"]["200"]["content"]["application/json"]
    assert created["schema"] == read["schema"] == ref("Widget")
    assert schemas["WidgetPage"]["properties"]["items"]["items"] == ref("Widget")
    assert schemas["NewWidget"]["properties"]["colour"]["$ref"] == ref("Colour")["$ref"]
    body = paths["/widgets"]["post"]["requestBody"]
    assert body["required"] is True
    assert body["content"] == {"application/json": {"schema": ref("NewWidget")}}


async def test_parameters_come_from_the_path_and_the_query_model(
    document: dict[str, Any],
) -> None:
    (widget_id,) = document["paths"]["/widgets/{widget_id}"]["get"]["parameters"]
    assert widget_id == {
        "name": "widget_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "format": "uuid"},
    }
    limit, colour = document["paths"]["/widgets"]["get"]["parameters"]
    assert limit["name"] == "limit"
    assert limit["in"] == "query"
    assert limit["required"] is False
    assert limit["description"] == "How many at most."
    assert limit["schema"]["minimum"] == 1
    assert limit["schema"]["maximum"] == 100
    assert colour["name"] == "colour"
    assert ref("Colour") in colour["schema"]["anyOf"]
    (divisor,) = document["paths"]["/ratio"]["get"]["parameters"]
    assert divisor["required"] is True
    assert divisor["schema"]["type"] == "integer"


async def test_errors_are_problem_json_and_the_likely_ones_are_listed(
    document: dict[str, Any],
) -> None:
    paths = document["paths"]
    make = paths["/widgets"]["post"]["responses"]
    assert set(make) == {"201", "400", "401", "403", "415", "422"}
    listing = paths["/widgets"]["get"]["responses"]
    assert set(listing) == {"200", "401", "403", "422"}
    read = paths["/widgets/{widget_id}"]["get"]["responses"]
    assert set(read) == {"200", "401", "403", "404"}
    for responses in (make, listing, read):
        for status, response in responses.items():
            if int(status) >= 400:
                assert response["content"] == {
                    "application/problem+json": {"schema": ref("Problem")}
                }
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status"}
    assert problem["properties"]["errors"]["items"] == ref("ProblemFieldError")


async def test_every_operation_needs_a_bearer_token_unless_public(
    document: dict[str, Any],
) -> None:
    assert document["components"]["securitySchemes"] == {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An access token issued by the identity service.",
        }
    }
    operations = {
        operation["operationId"]: operation
        for path in document["paths"].values()
        for operation in path.values()
    }
    assert set(operations) == {"make_widget", "list_widgets", "read_widget", "ratio", "status"}
    public = operations.pop("status")
    assert public["security"] == []
    assert set(public["responses"]) == {"200"}
    for described in operations.values():
        assert described["security"] == [{"bearer": []}]
        assert {"401", "403"} <= set(described["responses"])


async def test_two_handlers_of_one_name_are_refused() -> None:
    app = web.Application()

    @operation("One")
    async def same(_request: web.Request) -> web.Response:
        return web.Response()

    @operation("Two")
    async def other(_request: web.Request) -> web.Response:
        return web.Response()

    other.__name__ = "same"
    app.router.add_get("/one", same)
    app.router.add_get("/two", other)
    with pytest.raises(ValueError, match="operationId 'same'"):
        openapi_document(app, title="t", version="1")


async def test_a_body_of_another_type_is_described_as_it_is_sent() -> None:
    """An OAuth token endpoint answers RFC 6749 JSON errors and a sign-in page HTML, not
    problem+json: the document says so, so that clients and the fuzzer expect them."""

    class TokenError(BaseModel):
        error: str

    @operation(
        "Tokens",
        responses={200: None, 400: TokenError},
        media_types={200: "text/html", 400: "application/json"},
        public=True,
    )
    async def token(_request: web.Request) -> web.Response:
        return web.Response()

    app = web.Application()
    app.router.add_post("/token", token)
    responses = openapi_document(app, title="t", version="1")["paths"]["/token"]["post"][
        "responses"
    ]
    assert responses["200"]["content"] == {"text/html": {}}
    assert responses["400"]["content"] == {
        "application/json": {"schema": {"$ref": "#/components/schemas/TokenError"}}
    }


async def test_fuzzing_finds_the_input_that_breaks_a_route() -> None:
    async with serving(sample_app(divides_by_zero=True)) as url:
        with pytest.raises(AssertionError) as failed:
            await fuzz(f"{url}/openapi.json", url, headers=TOKEN, max_examples=30)
    report = str(failed.value)
    # Only the broken route is reported (with positive and/or negative data), nothing else.
    assert "GET /ratio" in report
    assert "/widgets" not in report
    assert "Server error" in report
    assert "divisor=0" in report  # the reproduction says which input


async def test_fuzzing_passes_the_fixed_routes() -> None:
    async with serving(sample_app()) as url:
        await fuzz(await served_document(url), url, headers=TOKEN, max_examples=30)


async def test_path_parameters_are_typed_from_their_regex() -> None:
    async def handler(_request: web.Request) -> web.Response:
        return web.Response()

    app = web.Application()
    app.router.add_get(
        rf"/things/{{plain}}/{{number:\d+}}/{{thing_id:{UUID_PATTERN}}}/{{code:[A-Z()]{{3}}(-\d)?}}",
        operation("Everything")(handler),
    )
    document = openapi_document(app, title="t", version="1")
    assert_valid_openapi(document)
    (path,) = document["paths"]
    assert path == "/things/{plain}/{number}/{thing_id}/{code}"
    schemas = {p["name"]: p["schema"] for p in document["paths"][path]["get"]["parameters"]}
    assert schemas == {
        "plain": {"type": "string"},
        "number": {"type": "integer", "minimum": 0},
        "thing_id": {"type": "string", "format": "uuid"},
        "code": {"type": "string", "pattern": r"^(?:[A-Z()]{3}(-\d)?)$"},
    }


class Priced(BaseModel):
    net: int

    @computed_field
    @property
    def gross(self) -> int:
        return self.net * 2


async def test_a_model_whose_two_modes_differ_is_named_for_each() -> None:
    async def handler(_request: web.Request) -> web.Response:
        return web.Response()

    app = web.Application()
    app.router.add_post(
        "/priced", operation("Price", request=Priced, responses={200: Priced})(handler)
    )
    document = openapi_document(app, title="t", version="1")
    assert_valid_openapi(document)
    schemas = document["components"]["schemas"]
    assert "gross" not in schemas["Priced-Input"]["properties"]
    assert "gross" in schemas["Priced-Output"]["properties"]


async def test_fuzzing_without_credentials_is_not_mistaken_for_a_pass() -> None:
    async with serving(sample_app()) as url:
        with pytest.raises(AssertionError, match="every request was refused"):
            await fuzz(f"{url}/openapi.json", url, max_examples=5)
