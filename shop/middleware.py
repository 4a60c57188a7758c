from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers


class ShopLanguageMiddleware:
    """Speak the shopper's chosen language, else Simplified Chinese.

    Unlike Django's LocaleMiddleware this ignores the browser's
    Accept-Language: the shop is Chinese first, and a shopper switches
    explicitly (the choice is kept in the language cookie).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _ in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ["Cookie"])
        response.headers.setdefault("Content-Language", language)
        return response
