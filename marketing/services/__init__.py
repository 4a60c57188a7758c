"""Marketing use cases, one module per campaign kind (flash, groups, coupons, promotions)."""
