from django.urls import path

from members import views

app_name = "members"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("code/", views.member_code, name="member-code"),
    path("points/", views.points, name="points"),
    path("wallet/", views.wallet, name="wallet"),
    path("invite/", views.invite, name="invite"),
    path("invite/<str:code>/", views.invite_landing, name="invite-landing"),
    path("profile/", views.profile, name="profile"),
    path("privacy/", views.privacy, name="privacy"),
    path("privacy/consent/", views.marketing_consent, name="marketing-consent"),
    path("privacy/export/", views.export_data, name="export-data"),
    path("privacy/delete/", views.delete_account, name="delete-account"),
    path("terms/", views.terms, name="terms"),
    path("privacy-policy/", views.privacy_policy, name="privacy-policy"),
    path("signup/phone/", views.phone_signup, name="phone-signup"),
    path("favourites/", views.favourites, name="favourites"),
    path("favourites/<int:product_id>/", views.favourite_toggle, name="favourite-toggle"),
    path("back-in-stock/", views.back_in_stock_list, name="back-in-stock"),
    path("back-in-stock/<int:variant_id>/", views.back_in_stock_request, name="back-in-stock-request"),
    path("addresses/", views.address_list, name="address-list"),
    path("addresses/new/", views.address_edit, name="address-add"),
    path("addresses/<int:pk>/", views.address_edit, name="address-edit"),
    path("addresses/<int:pk>/delete/", views.address_delete, name="address-delete"),
]
