from django.urls import path

from stores import views

app_name = "stores"
urlpatterns = [
    path("", views.store_list, name="store-list"),
    path("select/", views.store_select, name="store-select"),
]
