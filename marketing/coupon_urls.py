from django.urls import path

from marketing import coupon_views

app_name = "coupons"

urlpatterns = [
    path("", coupon_views.claim_centre, name="claim-centre"),
    path("<int:template_id>/claim/", coupon_views.claim, name="claim"),
    path("mine/", coupon_views.my_coupons, name="mine"),
    path("redeem/", coupon_views.redeem, name="redeem"),
    path("messages/", coupon_views.notifications, name="notifications"),
    path("messages/read/", coupon_views.notifications_read, name="notifications-read"),
]
