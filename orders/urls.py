from django.urls import path

from orders import group_views, review_views, views
from orders.payments import simulator
from orders.payments import views as payment_views

app_name = "orders"
urlpatterns = [
    path("cart/", views.cart_detail, name="cart-detail"),
    path("cart/add/", views.cart_add, name="cart-add"),
    path("cart/update/", views.cart_update, name="cart-update"),
    path("checkout/", views.checkout, name="checkout"),
    path("orders/", views.order_list, name="order-list"),
    path("orders/to-review/", review_views.to_review, name="to-review"),
    path("orders/to-review/<int:line_id>/", review_views.write_review, name="write-review"),
    path("orders/<str:number>/", views.order_detail, name="order-detail"),
    path("orders/<str:number>/pay/", views.order_pay, name="order-pay"),
    path("orders/<str:number>/cancel/", views.order_cancel, name="order-cancel"),
    path("orders/<str:number>/received/", views.order_confirm_receipt, name="order-confirm-receipt"),
    path("orders/<str:number>/return/", views.order_return, name="order-return"),
    path("groups/<str:code>/", group_views.group_detail, name="group-detail"),
    path("groups/<str:code>/join/", group_views.group_join, name="group-join"),
    path("group-buys/<int:group_buy_id>/start/", group_views.group_start, name="group-start"),
    path("group-checkout/drop/", group_views.group_checkout_drop, name="group-checkout-drop"),
    path("wallet/top-up/", views.wallet_top_up, name="wallet-top-up"),
    path("wallet/top-up/<str:number>/", views.wallet_top_up_status, name="wallet-top-up-status"),
    # The gateway simulator's hosted page (development and demos only), and the callback gateways post to.
    path("gateway/pay/<str:number>/", simulator.hosted_page, name="gateway-pay"),
    path("payments/gateway/callback/", payment_views.callback, name="gateway-callback"),
]
