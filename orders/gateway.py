"""The online payment gateway simulator (being written)."""

from django.http import Http404


def hosted_page(request, number):
    raise Http404


def callback(request):
    raise Http404
