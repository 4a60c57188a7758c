from django.urls import path

from analytics import views

app_name = "analytics"

urlpatterns = [
    path("", views.store_dashboard, name="store-dashboard"),
    path("hq/", views.hq_dashboard, name="hq-dashboard"),
    path("reports/", views.report_index, name="reports"),
    path("reports/<slug:name>/", views.report, name="report"),
    path("reports/<slug:name>/export/", views.export, name="export"),
    path("exports/<int:pk>/", views.export_job, name="export-job"),
    path("exports/<int:pk>/download/", views.export_download, name="export-download"),
]
