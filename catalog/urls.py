from django.urls import path

from catalog import review_views, views

app_name = "catalog"
urlpatterns = [
    path("categories/", views.category_list, name="category-list"),
    path("c/<str:slug>/", views.category_detail, name="category"),
    path("p/<str:slug>/", views.product_detail, name="product"),
    path("search/", views.search, name="search"),
    path("reviews/<int:review_id>/helpful/", review_views.review_helpful, name="review-helpful"),
]
