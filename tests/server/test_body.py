"""Request fields from the raw ASGI scope: the query string parser and the header scan."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

from modelreg.server.body import RequestHeaders, parse_query

QUERIES = [
    "",
    "name=m-0001&version=3",
    "filter=name%20LIKE%20%27%2512%25%27&max_results=100",
    "a=1&a=2&b",
    "a=&=b&&c=d=e",
    "plus=a+b&pct=%2B&utf=%C3%A9t%C3%A9&bad=%ZZ&half=%C3",
    "stages=Production&stages=Staging",
]


@pytest.mark.parametrize("query", QUERIES)
def test_query_fields_are_those_of_parse_qsl(query: str) -> None:
    expected = parse_qsl(query, keep_blank_values=True)
    fields = parse_query(query.encode("latin-1"))
    keys = {key for key, _ in expected}
    assert set(fields) == keys
    for key in keys:
        values = [value for k, value in expected if k == key]
        assert fields.getlist(key) == values
        assert fields.get(key) == values[-1]  # the last occurrence wins, as in Starlette
        assert key in fields
    assert fields.get("absent") is None
    assert fields.getlist("absent") == []


def test_the_headers_the_api_reads() -> None:
    headers = RequestHeaders(
        [
            (b"host", b"x"),
            (b"content-type", b"application/json; charset=utf-8"),
            (b"content-length", b"12"),
            (b"authorization", b"Basic ZG9yYTp4"),
        ]
    )
    assert headers.content_type == "application/json; charset=utf-8"
    assert headers.content_length == "12"
    assert headers.authorization == "Basic ZG9yYTp4"
    assert RequestHeaders([]).content_type is None
