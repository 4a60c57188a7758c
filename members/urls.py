from django.urls import path

from members import views

app_name = "members"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("addresses/", views.address_list, name="address-list"),
    path("addresses/new/", views.address_edit, name="address-add"),
    path("addresses/<int:pk>/", views.address_edit, name="address-edit"),
    path("addresses/<int:pk>/delete/", views.address_delete, name="address-delete"),
]
