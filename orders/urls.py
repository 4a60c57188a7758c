from django.urls import path

from orders import gateway, views

app_name = "orders"
urlpatterns = [
    path("cart/", views.cart_detail, name="cart-detail"),
    path("cart/add/", views.cart_add, name="cart-add"),
    path("cart/update/", views.cart_update, name="cart-update"),
    path("checkout/", views.checkout, name="checkout"),
    path("orders/", views.order_list, name="order-list"),
    path("orders/<str:number>/", views.order_detail, name="order-detail"),
    path("orders/<str:number>/pay/", views.order_pay, name="order-pay"),
    path("orders/<str:number>/cancel/", views.order_cancel, name="order-cancel"),
    path("orders/<str:number>/received/", views.order_confirm_receipt, name="order-confirm-receipt"),
    path("orders/<str:number>/return/", views.order_return, name="order-return"),
    path("wallet/top-up/", views.wallet_top_up, name="wallet-top-up"),
    path("wallet/top-up/<str:number>/", views.wallet_top_up_status, name="wallet-top-up-status"),
    # The online payment gateway simulator: its hosted page, and the callback it posts to us.
    path("gateway/pay/<str:number>/", gateway.hosted_page, name="gateway-pay"),
    path("payments/gateway/callback/", gateway.callback, name="gateway-callback"),
]
