import re

from allauth.account.fields import EmailField
from allauth.account.forms import LoginForm, RequestLoginCodeForm, SignupForm
from django import forms
from django.utils.translation import gettext_lazy as _

from members.models import Address, MemberProfile

# A mainland mobile number: 11 digits starting 13–19, optionally after +86, 86 or 0086.
CHINA_MOBILE = re.compile(r"^(?:\+86|0086|86)?(1[3-9]\d{9})$")
# Spaces, dashes, dots and brackets people type or paste between the digits.
PHONE_SEPARATORS = re.compile(r"[\s\-.()\u3000]")


def normalise_mobile(value: str) -> str | None:
    """The number as 11 digits (how it is stored and looked up), or None if it is not a mainland mobile."""
    digits = PHONE_SEPARATORS.sub("", value or "")
    digits = digits.translate(str.maketrans("０１２３４５６７８９＋", "0123456789+"))  # full-width input
    match = CHINA_MOBILE.match(digits)
    return match.group(1) if match else None


class TelInput(forms.TextInput):
    input_type = "tel"  # the phone keypad on a phone


class PhoneNumberField(forms.CharField):
    """A mainland Chinese mobile number, cleaned to its 11 digits."""

    default_error_messages = {"invalid": _("Enter an 11-digit mainland mobile number, such as 138 0013 8000.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Mobile number"))
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault(
            "widget",
            TelInput(attrs={"autocomplete": "tel", "placeholder": "138 0013 8000"}),
        )
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        number = normalise_mobile(value)
        if number is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return number


class PhoneOrEmailLoginForm(LoginForm):
    """allauth's log-in form with one box for a mobile number or an email, and the password.

    A number is cleaned to its 11 digits here (however it was typed), so allauth reads it as a
    phone log-in and its backend finds the member by ``MemberProfile.phone``; anything else is
    tried as an email. Members who signed up with a code alone have no password and use the
    code log-in (PhoneLoginCodeForm) instead.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["login"] = forms.CharField(
            label=_("Mobile number or email"),
            max_length=254,
            widget=forms.TextInput(attrs={
                "autocomplete": "username", "autocapitalize": "none", "spellcheck": "false",
                "placeholder": _("Mobile number or email"),
            }),
        )

    def clean_login(self) -> str:
        login = super().clean_login()
        return normalise_mobile(login) or login


class ConsentMixin(forms.Form):
    """The 用户协议 / 隐私政策 box every sign-up must tick; allauth calls ``signup`` once the account exists."""

    accept_terms = forms.BooleanField(
        label=_("I have read and accept the terms of service and the privacy policy"),
        error_messages={"required": _("Please accept the terms of service and the privacy policy to sign up.")},
    )

    def signup(self, request, user):
        from members.services.consent import record_consent

        record_consent(user=user)


class ShopSignupForm(ConsentMixin, SignupForm):
    """Sign-up with the mobile number first, a password, and an email only if the shopper wants one.

    allauth texts a code to the number and the account logs in once the code is typed (the number
    reaches ``MemberProfile.phone`` only then, see members.adapter). The email is optional: a
    Chinese shopper signs up with a phone, and order news goes by text message or the member
    centre. Someone without a mainland number may sign up with the email alone; that address must
    then be confirmed by its link before the first log-in, as before phone sign-up existed.
    """

    field_order = ["phone", "password1", "password2", "email", "accept_terms"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        phone = self.fields["phone"]
        phone.required = False  # one of phone or email, checked in clean()
        phone.label = _("Mobile number")
        phone.help_text = _("We text you a six-digit code to confirm it. You log in with it and your password.")
        # Django's list of every password rule is a screen long on a phone: one line says the same.
        self.fields["password1"].help_text = _("At least 8 characters, not only digits, not a common password.")
        email = self.fields["email"]
        email.required = False
        email.widget.is_required = False
        email.label = _("Email (optional)")
        email.help_text = _("Only if you have no mainland mobile number, or want receipts by email.")

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("phone") and not cleaned.get("email") and "phone" not in self.errors and "email" not in self.errors:
            self.add_error("phone", forms.ValidationError(
                _("Enter your mobile number (or an email address if you have no mainland mobile number)."),
                code="phone_or_email_required",
            ))
        return cleaned


class PhoneSignupForm(ConsentMixin, SignupForm):
    """Sign-up with a mobile number alone: allauth texts a code, the code proves the number."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("email", "email2", "password1", "password2"):
            self.fields.pop(name, None)
        self.fields["phone"].required = True
        self.fields["phone"].label = _("Mobile number")


class PhoneLoginCodeForm(RequestLoginCodeForm):
    """Ask for a log-in code by text message only; email shoppers keep their password log-in."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.pop("email", None)
        self._has_email = False
        self.fields["phone"].required = True


class AddressForm(forms.ModelForm):
    """An address whose province, city and district come from the vendored division data (members.divisions).

    The three are chained selects: the city list follows the province, the district list the city. With
    JavaScript (static/js/members/divisions.js) they refill at once; without it the "Show cities / districts"
    button posts the form back to refill them. Whatever is posted, ``clean`` accepts only a combination
    that exists in the data.
    """

    province = forms.ChoiceField(label=_("Province"))
    city = forms.ChoiceField(label=_("City"))
    district = forms.ChoiceField(label=_("District"))

    class Meta:
        model = Address
        fields = ["recipient", "phone", "province", "city", "district", "detail", "is_default"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from members import divisions

        source = self.data if self.is_bound else {**self.initial, **{
            name: self.initial.get(name) or getattr(self.instance, name, "") for name in ("province", "city", "district")
        }}
        province, city = source.get("province") or "", source.get("city") or ""
        blank = [("", _("Choose…"))]
        self.fields["province"].choices = blank + [(name, name) for name in divisions.provinces()]
        self.fields["city"].choices = blank + [(name, name) for name in divisions.cities(province)]
        self.fields["district"].choices = blank + [(name, name) for name in divisions.districts(province, city)]
        for name in ("province", "city", "district"):
            self.fields[name].widget.attrs["data-division"] = name

    def clean(self):
        from members import divisions

        cleaned = super().clean()
        province, city, district = (cleaned.get(name) for name in ("province", "city", "district"))
        if province and city and district and not divisions.is_known(province, city, district):
            raise forms.ValidationError(_("Choose the district from the list for this city."), code="unknown_division")
        return cleaned


class ProfileForm(forms.ModelForm):
    class Meta:
        model = MemberProfile
        fields = ["birthday", "gender"]
        widgets = {"birthday": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


class MarketingConsentForm(forms.Form):
    consent = forms.BooleanField(
        label=_("Send me offers, coupons and member-day news by text message and email"), required=False
    )


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(label=_("I understand that this cannot be undone"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("That is not your password."), code="wrong_password")
        return password
