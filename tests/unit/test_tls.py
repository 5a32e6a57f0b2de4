import http.client
import http.server
import ssl
import stat
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509

from tidings.tls import ensure_dev_tls


def _leaf(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificates(path.read_bytes())[0]


def _names(cert: x509.Certificate) -> set[str]:
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return set(san.get_values_for_type(x509.DNSName)) | {
        str(ip) for ip in san.get_values_for_type(x509.IPAddress)
    }


def test_creates_a_ca_and_a_server_certificate_it_signed(tmp_path: Path) -> None:
    files = ensure_dev_tls(tmp_path / "tls")
    ca = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
    leaf = _leaf(files.server_cert)
    leaf.verify_directly_issued_by(ca)
    assert _names(leaf) == {"localhost", "127.0.0.1", "::1"}
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert stat.S_IMODE(files.server_key.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "tls" / "ca-key.pem").stat().st_mode) == 0o600


def test_reuses_and_renews(tmp_path: Path) -> None:
    first = ensure_dev_tls(tmp_path)
    ca_bytes, leaf_bytes = first.ca_cert.read_bytes(), first.server_cert.read_bytes()
    again = ensure_dev_tls(tmp_path)
    assert again.server_cert.read_bytes() == leaf_bytes
    wider = ensure_dev_tls(tmp_path, ("localhost", "127.0.0.1", "::1", "tidings.test"))
    assert wider.ca_cert.read_bytes() == ca_bytes
    assert "tidings.test" in _names(_leaf(wider.server_cert))
    renewed_at = datetime.now(UTC) + timedelta(days=810)
    renewed = ensure_dev_tls(tmp_path, ("localhost",), now=renewed_at)
    assert _leaf(renewed.server_cert).not_valid_after_utc > renewed_at + timedelta(days=700)
    assert renewed.ca_cert.read_bytes() == ca_bytes


def test_tls_handshake_with_the_ca(tmp_path: Path) -> None:
    files = ensure_dev_tls(tmp_path)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(files.server_cert, files.server_key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    try:
        trusted = ssl.create_default_context(cafile=str(files.ca_cert))
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=trusted, timeout=5)
        conn.request("GET", "/")
        assert conn.getresponse().read() == b"ok"
        conn.close()
        untrusted = http.client.HTTPSConnection(
            "127.0.0.1", port, context=ssl.create_default_context(), timeout=5
        )
        with pytest.raises(ssl.SSLCertVerificationError):
            untrusted.request("GET", "/")
        untrusted.close()
    finally:
        server.shutdown()
        server.server_close()
