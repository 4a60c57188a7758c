"""The policy text built once per process is the one django-csp writes, and pages with a nonce still get theirs."""

import pytest
from csp.middleware import CSPMiddleware
from django.http import HttpResponse
from django.test import RequestFactory

from shop.middleware import ContentSecurityPolicyMiddleware

pytestmark = pytest.mark.django_db


def _headers(middleware_class, *, use_nonce=False, path="/", prepare=None):
    request = RequestFactory().get(path)
    response = HttpResponse("<p>page</p>")
    if prepare:
        prepare(response)

    def view(req):
        if use_nonce:
            response.content = f"<style nonce='{req.csp_nonce}'></style>".encode()
        return response

    answered = middleware_class(view)(request)
    return {name: answered.get(name) for name in ("Content-Security-Policy", "Content-Security-Policy-Report-Only")}


def test_a_page_without_a_nonce_gets_the_same_policy_django_csp_writes():
    assert _headers(ContentSecurityPolicyMiddleware) == _headers(CSPMiddleware)
    assert _headers(ContentSecurityPolicyMiddleware)["Content-Security-Policy"]


def test_a_page_that_uses_its_nonce_gets_it_in_its_policy():
    first = _headers(ContentSecurityPolicyMiddleware, use_nonce=True)["Content-Security-Policy"]
    second = _headers(ContentSecurityPolicyMiddleware, use_nonce=True)["Content-Security-Policy"]
    assert "'nonce-" in first and first != second


def test_a_changed_policy_setting_is_written_from_then_on(settings):
    _headers(ContentSecurityPolicyMiddleware)
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}

    assert _headers(ContentSecurityPolicyMiddleware)["Content-Security-Policy"] == "default-src 'none'"


def test_an_exempt_response_and_a_view_changed_policy_are_left_to_django_csp():
    def exempt(response):
        response._csp_exempt = True

    def update(response):
        response._csp_update = {"img-src": ["https://cdn.example.com"]}

    assert _headers(ContentSecurityPolicyMiddleware, prepare=exempt)["Content-Security-Policy"] is None
    assert "https://cdn.example.com" in _headers(ContentSecurityPolicyMiddleware, prepare=update)["Content-Security-Policy"]
    assert _headers(ContentSecurityPolicyMiddleware, prepare=update) == _headers(CSPMiddleware, prepare=update)
