#!/usr/bin/python3
"""Long-running OAuth 1.0a signature verifier built on python oauthlib's PROVIDER side.

Used by test-integration/interop.test.ts to check fastify-oauth1's signer against an
independent implementation. Nothing here signs or re-implements signing: the verdict is
the boolean returned by oauthlib's own endpoints.

  * requests with an oauth_token -> oauthlib.oauth1.ResourceEndpoint
                                    .validate_protected_resource_request
  * requests without a token     -> oauthlib.oauth1.SignatureOnlyEndpoint.validate_request

The RequestValidator below only hands out the secrets/keys of the request it is asked
about and keeps oauthlib's default format checks: client key, access token and nonce of
20-30 ASCII letters and digits, oauth_version "1.0" or absent, a 10-digit timestamp within
600 s of now, a nonce never seen before. RSA keys come through get_rsa_key (PEM public key).
enforce_ssl is turned off, because the suite signs http:// URLs too (default and odd ports).

Debian packages: python3-oauthlib (which depends on python3-jwt and python3-cryptography,
both needed for RSA-*; python3-blinker comes along as well).

Protocol: one JSON object per line on stdin, one JSON answer per line on stdout.
The first line written is {"ready": true, "oauthlib": "<version>", "methods": [...]}.

  request: {"id": any, "method": "POST", "uri": "https://host/path?query",
            "headers": {"Authorization": "...", "Content-Type": "..."}, "body": "..." | null,
            "consumer_key": "...", "consumer_secret": "..." | null, "rsa_public_key": PEM | null,
            "token": "..." | null, "token_secret": "..." | null}
  answer:  {"id": any, "valid": bool, "endpoint": "resource" | "signature-only",
            "detail": str, "realm": str | null, "signature_type": str | null,
            "body_hash": {"sent": str, "matches": "sha1" | "sha256" | "sha512" | null} | null}

"detail" explains a rejection: the oauthlib error or exception, oauthlib's validator_log and the
signature base string oauthlib computed (diagnostics only, computed after the verdict).
"body_hash" is a harness-side check (hashlib) because oauthlib's provider does not verify
oauth_body_hash: it only includes it in the signed parameters like any other oauth_* value.
"""
import base64
import hashlib
import json
import logging
import sys

try:
    import oauthlib
    from oauthlib.oauth1 import RequestValidator, ResourceEndpoint, SignatureOnlyEndpoint
    from oauthlib.oauth1.rfc5849 import SIGNATURE_METHODS
    from oauthlib.oauth1.rfc5849 import errors as oauth_errors
    from oauthlib.oauth1.rfc5849 import signature as oauth_signature
    import jwt.algorithms  # noqa: F401 - oauthlib's RSA-* needs PyJWT with cryptography
    import cryptography  # noqa: F401
except ImportError as error:  # pragma: no cover - reported to the test as a failure
    sys.stderr.write('python oauthlib is not importable (%s); on Debian: '
                     'apt-get install -y python3-oauthlib python3-jwt python3-cryptography\n' % error)
    sys.exit(3)

DUMMY_CLIENT = 'dummyclientkey000000000'
DUMMY_TOKEN = 'dummyaccesstoken0000000'

# Every (client, timestamp, nonce, token) accepted so far: oauthlib leaves replay checks to
# the validator, and a real provider must do it (RFC 5849 section 3.3).
seen_nonces = set()


class CapturingHandler(logging.Handler):
    """Collects oauthlib's log messages for the current request (used in "detail")."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.messages = []

    def emit(self, record):
        try:
            self.messages.append(record.getMessage())
        except Exception:  # noqa: BLE001 - a broken log record must not break the verdict
            self.messages.append(str(record.msg))


capture = CapturingHandler()
oauthlib_logger = logging.getLogger('oauthlib')
oauthlib_logger.addHandler(capture)
oauthlib_logger.setLevel(logging.DEBUG)
oauthlib_logger.propagate = False


class Validator(RequestValidator):
    """Secrets for exactly one client (and optionally one access token): the request's."""

    def __init__(self, spec):
        super().__init__()
        self.consumer_key = spec.get('consumer_key')
        self.consumer_secret = spec.get('consumer_secret')
        self.rsa_public_key = spec.get('rsa_public_key')
        self.token = spec.get('token')
        self.token_secret = spec.get('token_secret')
        self.expected_realm = spec.get('realm')

    # oauthlib's default limits (check_client_key, check_nonce, nonce_length, timestamp_lifetime,
    # allowed_signature_methods...) are deliberately NOT overridden. Only plain http is allowed.
    @property
    def enforce_ssl(self):
        return False

    @property
    def dummy_client(self):
        return DUMMY_CLIENT

    @property
    def dummy_access_token(self):
        return DUMMY_TOKEN

    @property
    def dummy_request_token(self):
        return DUMMY_TOKEN

    def validate_client_key(self, client_key, request):
        return client_key == self.consumer_key

    def get_client_secret(self, client_key, request):
        if client_key == self.consumer_key and self.consumer_secret is not None:
            return self.consumer_secret
        return 'dummy-secret'

    def get_rsa_key(self, client_key, request):
        # Same key for the dummy client: it is the only key of the right size at hand, and
        # validate_client_key has already failed for an unknown client.
        return self.rsa_public_key

    def validate_access_token(self, client_key, token, request):
        return self.token is not None and client_key == self.consumer_key and token == self.token

    def get_access_token_secret(self, client_key, token, request):
        if token == self.token and self.token_secret is not None:
            return self.token_secret
        return 'dummy-token-secret'

    def validate_timestamp_and_nonce(self, client_key, timestamp, nonce, request,
                                     request_token=None, access_token=None):
        key = (client_key, timestamp, nonce, request_token, access_token)
        if key in seen_nonces:
            return False
        seen_nonces.add(key)
        return True

    def validate_realms(self, client_key, token, request, uri=None, realms=None):
        # The realm the client put in its Authorization header must arrive intact.
        if self.expected_realm is None:
            return True
        return request.realm == self.expected_realm


def explain(endpoint, spec, request):
    """Why oauthlib said no. Diagnostics only: the verdict is already decided."""
    parts = []
    uri, method, body, headers = spec['uri'], spec['method'], spec.get('body'), spec.get('headers') or {}
    try:
        probe = endpoint._create_request(uri, method, body, headers)
        endpoint._check_transport_security(probe)
        endpoint._check_mandatory_parameters(probe)
        request = request or probe
    except oauth_errors.OAuth1Error as error:
        parts.append('oauthlib error: %s' % (error.description or error.error))
    except Exception as error:  # noqa: BLE001
        parts.append('oauthlib exception: %s: %s' % (type(error).__name__, error))
    if request is not None:
        if request.validator_log:
            parts.append('validator_log=%s' % json.dumps(request.validator_log, sort_keys=True))
        try:
            base = oauth_signature.signature_base_string(
                request.http_method, oauth_signature.base_string_uri(request.uri),
                oauth_signature.normalize_parameters(request.params))
            parts.append('oauthlib base string=%s' % base)
        except Exception as error:  # noqa: BLE001
            parts.append('no base string: %s' % error)
    return '; '.join(parts)


def harness_body_hash(request, body):
    """Which algorithm, if any, produced oauth_body_hash (oauthlib itself does not check it)."""
    sent = request.oauth_params.get('oauth_body_hash') if request is not None else None
    if sent is None:
        return None
    raw = (body or '').encode('utf-8')
    for name in ('sha1', 'sha256', 'sha512'):
        if base64.b64encode(hashlib.new(name, raw).digest()).decode('ascii') == sent:
            return {'sent': sent, 'matches': name}
    return {'sent': sent, 'matches': None}


def verify(spec):
    validator = Validator(spec)
    uri, method = spec['uri'], spec['method']
    body, headers = spec.get('body'), spec.get('headers') or {}
    capture.messages = []
    if spec.get('token') is not None:
        kind = 'resource'
        endpoint = ResourceEndpoint(validator)
        call = lambda: endpoint.validate_protected_resource_request(
            uri, http_method=method, body=body, headers=headers, realms=[])
    else:
        kind = 'signature-only'
        endpoint = SignatureOnlyEndpoint(validator)
        call = lambda: endpoint.validate_request(uri, http_method=method, body=body, headers=headers)
    try:
        valid, request = call()
    except Exception as error:  # noqa: BLE001 - oauthlib raises e.g. ValueError on a query it cannot parse
        return {'valid': False, 'endpoint': kind, 'realm': None, 'signature_type': None, 'body_hash': None,
                'detail': 'oauthlib raised %s: %s' % (type(error).__name__, error)}
    answer = {
        'valid': bool(valid),
        'endpoint': kind,
        'realm': getattr(request, 'realm', None) if request is not None else None,
        'signature_type': None,
        'body_hash': harness_body_hash(request, body),
        'detail': '',
    }
    if request is not None:
        try:
            answer['signature_type'] = endpoint._get_signature_type_and_params(request)[0]
        except Exception:  # noqa: BLE001
            pass
    if not valid:
        detail = explain(endpoint, spec, request)
        if capture.messages:
            detail += '; log: ' + ' | '.join(capture.messages)
        answer['detail'] = detail
    return answer


def main():
    print(json.dumps({'ready': True, 'oauthlib': oauthlib.__version__, 'methods': list(SIGNATURE_METHODS)}),
          flush=True)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            spec = json.loads(line)
        except ValueError as error:
            print(json.dumps({'id': None, 'valid': False, 'detail': 'bad JSON line: %s' % error}), flush=True)
            continue
        try:
            answer = verify(spec)
        except Exception as error:  # noqa: BLE001 - never die mid-suite
            answer = {'valid': False, 'detail': 'harness error: %s: %s' % (type(error).__name__, error)}
        answer['id'] = spec.get('id')
        print(json.dumps(answer), flush=True)


if __name__ == '__main__':
    main()
