from django.contrib.sitemaps import Sitemap

from catalog.models import Category, Product


class CategorySitemap(Sitemap):
    changefreq = "daily"
    priority = 0.6

    def items(self):
        return Category.objects.filter(is_active=True).only("slug").order_by("path")


class ProductSitemap(Sitemap):
    changefreq = "daily"
    priority = 0.8
    limit = 5000

    def items(self):
        return Product.objects.visible().only("slug", "updated_at").order_by("pk")

    def lastmod(self, product):
        return product.updated_at
