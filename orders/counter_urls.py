from django.urls import path

from orders import counter_views as views

app_name = "counter"
urlpatterns = [
    path("counter/", views.counter_home, name="home"),
    path("counter/<int:store_id>/", views.till, name="till"),
    path("counter/<int:store_id>/scan/", views.scan, name="scan"),
    path("counter/<int:store_id>/line/", views.set_line, name="line"),
    path("counter/<int:store_id>/member/", views.set_member, name="member"),
    path("counter/<int:store_id>/coupon/", views.set_coupon, name="coupon"),
    path("counter/<int:store_id>/points/", views.set_points, name="points"),
    path("counter/<int:store_id>/clear/", views.clear, name="clear"),
    path("counter/<int:store_id>/pay/", views.pay, name="pay"),
    path("counter/<int:store_id>/sales/<str:number>/", views.receipt, name="receipt"),
    path("counter/<int:store_id>/sales/<str:number>/return/", views.take_return, name="return"),
]
