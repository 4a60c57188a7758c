"""A read-only back-office page: the RFM thresholds in force (settings) and how many members carry each tag."""

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template import engines
from django.utils.translation import gettext as _

from analytics.services.segments import segment_counts, thresholds

# Inline so this page needs no file in templates/analytics/ (the dashboards' folder); it extends the admin's look.
PAGE = """{% extends "admin/base_site.html" %}{% load i18n %}
{% block content %}
<p>{% translate "Member tags are recomputed every night from paid orders. Change the thresholds in the settings (ANALYTICS_RFM_*)." %}</p>
<table><thead><tr><th>{% translate "Threshold" %}</th><th>{% translate "Value" %}</th></tr></thead><tbody>
{% for label, value in thresholds %}<tr><td>{{ label }}</td><td>{{ value|join:", "|default:value }}</td></tr>{% endfor %}
</tbody></table>
<h2>{% translate "Members per tag" %}</h2>
<table><thead><tr><th>{% translate "Tag" %}</th><th>{% translate "Members" %}</th></tr></thead><tbody>
{% for name, count in counts %}<tr><td>{{ name }}</td><td>{{ count }}</td></tr>{% endfor %}
</tbody></table>
{% endblock %}"""


@staff_member_required
def member_segments(request):
    if not request.user.has_perm("members.view_memberprofile"):
        raise PermissionDenied
    values = [(label, value if isinstance(value, list) else [value]) for label, value in thresholds().values()]
    context = {
        **admin.site.each_context(request), "title": _("Member segments (RFM)"), "thresholds": values,
        "counts": list(segment_counts().items()),
    }
    return HttpResponse(engines["django"].from_string(PAGE).render(context, request))
