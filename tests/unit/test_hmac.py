from tidings.domain import hmac

KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="


def test_signature_matches_the_recorded_sdk_request() -> None:
    body = b'{"createTokenWithScopes": ["chat"]}'
    body_hash = hmac.content_hash(body)
    assert body_hash == "kWpGozyV35fifbpKdY8mbdG64VG0Pdq5upzo7YKAFM0="
    text = hmac.string_to_sign(
        "post",
        "/identities?api-version=2023-10-01",
        "Sun, 22 Nov 2026 17:33:49 GMT",
        "127.0.0.1:18080",
        body_hash,
    )
    assert text == (
        "POST\n/identities?api-version=2023-10-01\n"
        "Sun, 22 Nov 2026 17:33:49 GMT;127.0.0.1:18080;" + body_hash
    )
    assert hmac.signature(KEY, text) == "7vOVCUlyDzp35+A9Ms/Fk7zLHIbwxvD7JG63GE+FbCI="


def test_empty_body_hash() -> None:
    assert hmac.content_hash(b"") == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="


def test_parse_authorization_header() -> None:
    header = hmac.authorization_header("abc=")
    assert header == "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=abc="
    assert hmac.parse_authorization(header) == ("x-ms-date;host;x-ms-content-sha256", "abc=")
    assert hmac.parse_authorization("Bearer xyz") is None
    assert hmac.parse_authorization("HMAC-SHA256 Signature=only") is None
    assert hmac.parse_authorization("HMAC-SHA256 garbage") is None


def test_the_canonical_header_parses_as_any_other_spelling() -> None:
    """The SDKs' exact spelling is parsed by a shortcut; it must agree with the general
    parser on it and on everything that only starts like it."""
    canonical = hmac.authorization_header("")
    tails = ["abc=", "abc==", " abc= ", "a=b", "a&b", "a&Signature=b", "", "=", "x" * 44]
    tails += ["abc=&SignedHeaders=host", "abc= &Extra=1", "ab=cd=", "abc\t"]
    for tail in tails:
        value = canonical + tail
        assert hmac.parse_authorization(value) == hmac._parse_parts(value), value
