"""Small hooks for django-allauth."""


def user_display(user) -> str:
    """Shoppers log in by email, so greet them by it rather than by the generated username."""
    return user.email or user.get_username()
