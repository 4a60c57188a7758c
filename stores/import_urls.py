from django.urls import path

from stores import import_views as views

app_name = "storedata"
urlpatterns = [
    path("", views.data_home, name="home"),
    path("jobs/<str:job_id>/", views.job_page, name="job"),
    path("jobs/<str:job_id>/apply/", views.job_apply, name="job-apply"),
    path("jobs/<str:job_id>/progress/", views.job_progress, name="job-progress"),
    path("export/<str:kind>.<str:fmt>", views.export, name="export"),
]
