#!/usr/bin/python3
"""A small OAuth 1.0a provider for the three-legged flow tests, built on python oauthlib's own
endpoints (RequestTokenEndpoint, AuthorizationEndpoint, AccessTokenEndpoint, ResourceEndpoint)
and http.server. State lives in memory; one client; one demo user who approves everything.

Usage:
    /usr/bin/python3 oauthlib_provider.py [--port N] [--consumer-key KEY] [--consumer-secret SECRET]
                                          [--callback-prefix URL] [--rsa-public-key-file PEM]

    --port              TCP port on 127.0.0.1; 0 (default) picks a free one.
    --consumer-key      client key; default $OAUTH_CONSUMER_KEY. oauthlib's default validator
                        wants 20-30 ASCII letters and digits.
    --consumer-secret   client secret; default $OAUTH_CONSUMER_SECRET.
    --callback-prefix   if given (or $OAUTH_CALLBACK_PREFIX), oauth_callback must start with it
                        (or be "oob"); otherwise any absolute http(s) URL or "oob" is accepted.
    --rsa-public-key-file  optional PEM public key, so the client may also sign with RSA-*.

When it listens, it prints one JSON line on stdout: {"port": 12345}. It exits when stdin closes
(so it dies with the test that spawned it) or on SIGTERM.

Routes:
    POST /oauth/request_token   oauth_callback required; answers oauth_token, oauth_token_secret,
                                oauth_callback_confirmed=true
    GET  /oauth/authorize?oauth_token=T[&deny=1]
                                auto-approves for the demo user: 302 to the callback with
                                oauth_token and oauth_verifier; with deny=1, 302 to the callback
                                with denied=T (the X/Twitter style) and the request token is dropped.
                                With an "oob" callback: 200 with the verifier as a form body.
    POST /oauth/access_token    oauth_token + oauth_verifier; answers oauth_token,
                                oauth_token_secret, oauth_authorized_realms, user_id, screen_name
    GET  /api/me                protected resource: {"id": "...", "screen_name": "..."}
    GET  /_test/stats           test hook, not OAuth: how often each route above was called and
                                answered 2xx/3xx, e.g. {"POST /oauth/access_token": {"calls": 2, "ok": 1}}

Errors: oauthlib's own status (400 for a malformed request, 401 for a bad signature, key, token
or verifier), the body being oauthlib's form-encoded error plus an oauth_problem (OAuth Problem
Reporting names: signature_invalid, timestamp_refused, nonce_used, token_rejected, ...).

The validator keeps oauthlib's defaults: client key, tokens, verifier and nonce of 20-30 ASCII
letters and digits, oauth_version "1.0" or absent, a timestamp within 600 s, every signature
method oauthlib knows. On top of that it enforces what a provider must: a nonce is used once,
request tokens and verifiers are single-use (the request token is deleted when it is exchanged
or denied), a request token is authorised once, the callback is checked at the request-token step.
Only plain http is possible here, so enforce_ssl is off.

Debian packages: python3-oauthlib (pulls python3-jwt and python3-cryptography, needed for RSA).
"""
import argparse
import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from oauthlib.common import add_params_to_uri, urlencode
from oauthlib.oauth1 import (
    AccessTokenEndpoint, AuthorizationEndpoint, RequestTokenEndpoint, RequestValidator, ResourceEndpoint,
)
from oauthlib.oauth1.rfc5849 import errors as oauth_errors

DEMO_USER = {'id': '1001', 'screen_name': 'demo_user'}
REALMS = ['read', 'write']
DUMMY_CLIENT = 'dummyclientkey000000000'
DUMMY_TOKEN = 'dummytoken00000000000000'
COUNTED_ROUTES = {('POST', '/oauth/request_token'), ('GET', '/oauth/authorize'),
                  ('POST', '/oauth/access_token'), ('GET', '/api/me')}


class Store:
    """Everything in memory, behind one lock."""

    def __init__(self, consumer_key, consumer_secret, rsa_public_key, callback_prefix):
        self.lock = threading.RLock()
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.rsa_public_key = rsa_public_key
        self.callback_prefix = callback_prefix
        self.request_tokens = {}  # token -> {secret, client, callback, realms, verifier, user}
        self.access_tokens = {}   # token -> {secret, client, realms, user}
        self.nonces = set()
        self.stats = {}           # 'METHOD /path' -> {calls, ok}, for GET /_test/stats


class Validator(RequestValidator):
    def __init__(self, store):
        super().__init__()
        self.store = store

    # --- configuration: oauthlib's defaults except transport security ---------------------
    @property
    def enforce_ssl(self):
        return False

    @property
    def realms(self):
        return REALMS

    @property
    def dummy_client(self):
        return DUMMY_CLIENT

    @property
    def dummy_request_token(self):
        return DUMMY_TOKEN

    @property
    def dummy_access_token(self):
        return DUMMY_TOKEN

    # --- secrets ----------------------------------------------------------------------------
    def get_client_secret(self, client_key, request):
        return self.store.consumer_secret if client_key == self.store.consumer_key else 'dummy-secret'

    def get_rsa_key(self, client_key, request):
        return self.store.rsa_public_key

    def get_request_token_secret(self, client_key, token, request):
        entry = self.store.request_tokens.get(token)
        return entry['secret'] if entry is not None else 'dummy-secret'

    def get_access_token_secret(self, client_key, token, request):
        entry = self.store.access_tokens.get(token)
        return entry['secret'] if entry is not None else 'dummy-secret'

    # --- validation -------------------------------------------------------------------------
    def validate_client_key(self, client_key, request):
        return client_key == self.store.consumer_key

    def validate_timestamp_and_nonce(self, client_key, timestamp, nonce, request,
                                     request_token=None, access_token=None):
        key = (client_key, timestamp, nonce, request_token, access_token)
        if key in self.store.nonces:
            request.oauth_problem = 'nonce_used'
            return False
        self.store.nonces.add(key)
        return True

    def validate_redirect_uri(self, client_key, redirect_uri, request):
        if redirect_uri == 'oob':
            return True
        prefix = self.store.callback_prefix
        if prefix:
            return redirect_uri.startswith(prefix)
        parsed = urllib.parse.urlsplit(redirect_uri)
        return parsed.scheme in ('http', 'https') and bool(parsed.netloc)

    def validate_requested_realms(self, client_key, realms, request):
        return all(realm in REALMS for realm in realms)

    def get_default_realms(self, client_key, request):
        return ['read']

    def validate_request_token(self, client_key, token, request):
        entry = self.store.request_tokens.get(token)
        return entry is not None and entry['client'] == client_key

    def validate_verifier(self, client_key, token, verifier, request):
        entry = self.store.request_tokens.get(token)
        return (entry is not None and entry['client'] == client_key and entry['verifier'] is not None
                and entry['verifier'] == verifier)

    def invalidate_request_token(self, client_key, request_token, request):
        self.store.request_tokens.pop(request_token, None)

    def validate_access_token(self, client_key, token, request):
        entry = self.store.access_tokens.get(token)
        return entry is not None and entry['client'] == client_key

    def validate_realms(self, client_key, token, request, uri=None, realms=None):
        entry = self.store.access_tokens.get(token)
        return entry is not None and all(realm in entry['realms'] for realm in (realms or []))

    # --- authorisation step (not signed) --------------------------------------------------------
    def verify_request_token(self, token, request):
        entry = self.store.request_tokens.get(token)
        return entry is not None and entry['verifier'] is None  # authorised once only

    def verify_realms(self, token, realms, request):
        entry = self.store.request_tokens.get(token)
        return entry is not None and all(realm in entry['realms'] for realm in realms)

    def get_realms(self, token, request):
        entry = self.store.request_tokens.get(token)
        return entry['realms'] if entry is not None else []

    def get_redirect_uri(self, token, request):
        return self.store.request_tokens[token]['callback']

    # --- storage -------------------------------------------------------------------------------
    def save_request_token(self, token, request):
        self.store.request_tokens[token['oauth_token']] = {
            'secret': token['oauth_token_secret'], 'client': request.client_key,
            'callback': request.redirect_uri, 'realms': list(request.realms or []),
            'verifier': None, 'user': None, 'created': time.time(),
        }

    def save_verifier(self, token, verifier, request):
        entry = self.store.request_tokens[token]
        entry['verifier'] = verifier['oauth_verifier']
        entry['user'] = DEMO_USER

    def save_access_token(self, token, request):
        entry = self.store.request_tokens.get(request.resource_owner_key) or {}
        self.store.access_tokens[token['oauth_token']] = {
            'secret': token['oauth_token_secret'], 'client': request.client_key,
            'realms': list(request.realms or []), 'user': entry.get('user') or DEMO_USER,
        }


class UserAccessTokenEndpoint(AccessTokenEndpoint):
    """Adds user_id and screen_name to the access-token response, as X/Twitter does."""

    def create_access_token(self, request, credentials):
        entry = self.request_validator.store.request_tokens.get(request.resource_owner_key) or {}
        user = entry.get('user') or DEMO_USER
        return super().create_access_token(request, dict(credentials, user_id=user['id'], screen_name=user['screen_name']))


def problem_for_log(log):
    """An oauth_problem for a request oauthlib refused (validator_log holds the failed checks)."""
    if log.get('client') is False:
        return 'consumer_key_unknown'
    if log.get('resource_owner') is False:
        return 'token_rejected'
    if log.get('verifier') is False:
        return 'verifier_invalid'
    if log.get('callback') is False:
        return 'parameter_rejected'
    if log.get('realm') is False:
        return 'permission_denied'
    return 'signature_invalid'


def problem_for_error(error):
    description = (error.description or '').lower()
    if 'timestamp' in description:
        return 'timestamp_refused'
    if 'nonce' in description:
        return 'parameter_rejected'
    if 'version' in description:
        return 'version_rejected'
    if 'signature' in description and 'not in' in description:
        return 'signature_method_rejected'
    if 'missing' in description:
        return 'parameter_absent'
    return 'parameter_rejected'


class Provider:
    def __init__(self, store):
        self.store = store
        self.validator = Validator(store)
        self.request_token_endpoint = RequestTokenEndpoint(self.validator)
        self.authorization_endpoint = AuthorizationEndpoint(self.validator)
        self.access_token_endpoint = UserAccessTokenEndpoint(self.validator)
        self.resource_endpoint = ResourceEndpoint(self.validator)

    @staticmethod
    def refused(request, status=401):
        problem = getattr(request, 'oauth_problem', None) or problem_for_log(request.validator_log if request else {})
        return status, {'Content-Type': 'application/x-www-form-urlencoded', 'WWW-Authenticate': 'OAuth realm="oauthlib-provider"'}, \
            urlencode([('oauth_problem', problem)])

    @staticmethod
    def invalid(error):
        body = error.urlencoded + '&' + urlencode([('oauth_problem', problem_for_error(error))])
        headers = {'Content-Type': 'application/x-www-form-urlencoded'}
        if error.status_code == 401:
            headers['WWW-Authenticate'] = 'OAuth realm="oauthlib-provider"'
        return error.status_code, headers, body

    def request_token(self, uri, method, body, headers):
        # create_request_token_response, with the validator_log kept to name the problem
        endpoint = self.request_token_endpoint
        try:
            request = endpoint._create_request(uri, method, body, headers)
            valid, request = endpoint.validate_request_token_request(request)
            if not valid:
                return self.refused(request)
            token = endpoint.create_request_token(request, {})
            return 200, {'Content-Type': 'application/x-www-form-urlencoded'}, token
        except oauth_errors.OAuth1Error as error:
            return self.invalid(error)

    def access_token(self, uri, method, body, headers):
        endpoint = self.access_token_endpoint
        try:
            request = endpoint._create_request(uri, method, body, headers)
            valid, request = endpoint.validate_access_token_request(request)
            if not valid:
                return self.refused(request)
            token = endpoint.create_access_token(request, {})
            self.validator.invalidate_request_token(request.client_key, request.resource_owner_key, request)
            return 200, {'Content-Type': 'application/x-www-form-urlencoded'}, token
        except oauth_errors.OAuth1Error as error:
            return self.invalid(error)

    def authorize(self, uri, query, headers):
        token = (query.get('oauth_token') or [None])[0]
        if not token:
            return 400, {'Content-Type': 'text/plain'}, 'missing oauth_token'
        if (query.get('deny') or ['0'])[0] == '1':
            entry = self.store.request_tokens.pop(token, None)
            if entry is None or entry['verifier'] is not None:
                return 401, {'Content-Type': 'text/plain'}, 'unknown or already used request token'
            if entry['callback'] == 'oob':
                return 200, {'Content-Type': 'application/x-www-form-urlencoded'}, urlencode([('denied', token)])
            return 302, {'Location': add_params_to_uri(entry['callback'], [('denied', token)])}, ''
        try:
            response_headers, body, status = self.authorization_endpoint.create_authorization_response(
                uri, http_method='GET', headers={})
        except oauth_errors.InvalidClientError:
            return 401, {'Content-Type': 'application/x-www-form-urlencoded'}, urlencode([('oauth_problem', 'token_rejected')])
        except oauth_errors.OAuth1Error as error:
            return self.invalid(error)
        return status, response_headers, body or ''

    def me(self, uri, method, body, headers):
        endpoint = self.resource_endpoint
        valid, request = endpoint.validate_protected_resource_request(
            uri, http_method=method, body=body, headers=headers, realms=[])
        if not valid:
            # ResourceEndpoint swallows its errors; ask again only to name the problem.
            problem = getattr(request, 'oauth_problem', None) if request is not None else 'parameter_rejected'
            if problem is None and request is not None and not request.validator_log:
                try:
                    endpoint._check_mandatory_parameters(request)
                    problem = 'token_rejected' if not request.resource_owner_key or \
                        not self.validator.check_access_token(request.resource_owner_key) else 'parameter_rejected'
                except oauth_errors.OAuth1Error as error:
                    problem = problem_for_error(error)
            if problem is None:
                problem = problem_for_log(request.validator_log)
            return 401, {'Content-Type': 'application/json', 'WWW-Authenticate': 'OAuth realm="oauthlib-provider"'}, \
                json.dumps({'error': 'unauthorized', 'oauth_problem': problem})
        user = self.store.access_tokens[request.resource_owner_key]['user']
        return 200, {'Content-Type': 'application/json'}, json.dumps({'id': user['id'], 'screen_name': user['screen_name']})


def make_handler(provider):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'
        server_version = 'oauthlib-provider/1'

        def log_message(self, format, *args):  # noqa: A002 - the base class's name
            if os.environ.get('OAUTH_PROVIDER_VERBOSE'):
                super().log_message(format, *args)

        def handle_any(self, method):
            length = int(self.headers.get('Content-Length') or 0)
            body = self.rfile.read(length).decode('utf-8') if length else ''
            headers = {name: value for name, value in self.headers.items()}
            uri = 'http://%s%s' % (self.headers.get('Host') or '127.0.0.1:%d' % self.server.server_port, self.path)
            split = urllib.parse.urlsplit(self.path)
            route = (method, split.path)
            try:
                with provider.store.lock:
                    if route == ('POST', '/oauth/request_token'):
                        answer = provider.request_token(uri, method, body, headers)
                    elif route == ('GET', '/oauth/authorize'):
                        answer = provider.authorize(uri, urllib.parse.parse_qs(split.query), headers)
                    elif route == ('POST', '/oauth/access_token'):
                        answer = provider.access_token(uri, method, body, headers)
                    elif route == ('GET', '/api/me'):
                        answer = provider.me(uri, method, body, headers)
                    elif route == ('GET', '/_test/stats'):
                        answer = 200, {'Content-Type': 'application/json'}, json.dumps(provider.store.stats)
                    else:
                        answer = 404, {'Content-Type': 'text/plain'}, 'not found'
            except Exception as error:  # noqa: BLE001 - e.g. oauthlib's ValueError on a query it cannot parse
                answer = 400, {'Content-Type': 'text/plain'}, 'bad request: %s: %s' % (type(error).__name__, error)
            if route in COUNTED_ROUTES:
                with provider.store.lock:
                    counts = provider.store.stats.setdefault('%s %s' % route, {'calls': 0, 'ok': 0})
                    counts['calls'] += 1
                    counts['ok'] += 1 if answer[0] < 400 else 0
            status, response_headers, text = answer
            data = text.encode('utf-8')
            self.send_response(status)
            for name, value in response_headers.items():
                self.send_header(name, value)
            self.send_header('Content-Length', str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802 - http.server's naming
            self.handle_any('GET')

        def do_POST(self):  # noqa: N802
            self.handle_any('POST')

    return Handler


def main():
    parser = argparse.ArgumentParser(description='OAuth 1.0a provider on python oauthlib (test fixture)')
    parser.add_argument('--port', type=int, default=0)
    parser.add_argument('--consumer-key', default=os.environ.get('OAUTH_CONSUMER_KEY'))
    parser.add_argument('--consumer-secret', default=os.environ.get('OAUTH_CONSUMER_SECRET'))
    parser.add_argument('--callback-prefix', default=os.environ.get('OAUTH_CALLBACK_PREFIX'))
    parser.add_argument('--rsa-public-key-file', default=None)
    args = parser.parse_args()
    if not args.consumer_key or args.consumer_secret is None:
        parser.error('a consumer key and secret are required (--consumer-key/--consumer-secret or '
                     'OAUTH_CONSUMER_KEY/OAUTH_CONSUMER_SECRET)')
    rsa_public_key = None
    if args.rsa_public_key_file:
        with open(args.rsa_public_key_file, encoding='ascii') as file:
            rsa_public_key = file.read()
    store = Store(args.consumer_key, args.consumer_secret, rsa_public_key, args.callback_prefix)
    server = ThreadingHTTPServer(('127.0.0.1', args.port), make_handler(Provider(store)))
    server.daemon_threads = True

    def exit_when_stdin_closes():
        try:
            while sys.stdin.buffer.read(4096):
                pass
        finally:
            os._exit(0)

    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    print(json.dumps({'port': server.server_port}), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == '__main__':
    main()
