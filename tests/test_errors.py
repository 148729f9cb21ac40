"""The JSON error shape is what the OpenAPI schema documents for every operation's failures."""

from fastapi.testclient import TestClient

from service.errors import ErrorResponse
from tests.conftest import Person

ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}


def test_every_operation_documents_its_failures_in_the_json_error_shape(app: TestClient) -> None:
    schema = app.get("/openapi.json").json()
    assert "HTTPValidationError" not in schema["components"]["schemas"], "FastAPI's 422 shape"
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status in ("401", "403", "404", "422"):
                documented = operation["responses"].get(status, {}).get("content", {})
                assert documented == {"application/json": {"schema": ERROR_REF}}, (
                    f"{method.upper()} {path} {status}: {documented}"
                )


def test_a_validation_error_matches_the_documented_shape(
    app: TestClient, superintendent: Person
) -> None:
    response = app.post("/api/v1/accounts", json={"handle": 3}, headers=superintendent.headers)
    assert response.status_code == 422
    body = ErrorResponse.model_validate(response.json())
    assert body.error.code == "invalid"
    assert response.json()["error"]["problems"], "details beyond code and message are kept"
