"""The review form: stars, words and up to six photos checked like product images."""

from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.images import validate_image_file
from catalog.reviews import MAX_PHOTOS


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several image files in one input; each passes the catalogue's image checks."""

    widget = MultipleFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = [item for item in (data if isinstance(data, (list, tuple)) else [data]) if item]
        if len(files) > MAX_PHOTOS:
            raise forms.ValidationError(_("Add at most %(count)s photos."), params={"count": MAX_PHOTOS})
        cleaned = [super(MultiplePhotoField, self).clean(item, initial) for item in files]
        for upload in cleaned:
            validate_image_file(upload)
        return cleaned


class ReviewForm(forms.Form):
    RATINGS = [(5, "★★★★★"), (4, "★★★★"), (3, "★★★"), (2, "★★"), (1, "★")]

    rating = forms.TypedChoiceField(label=_("Rating"), choices=RATINGS, coerce=int, widget=forms.RadioSelect,
                                    initial=5)
    text = forms.CharField(label=_("Your review"), max_length=2000, required=False,
                           widget=forms.Textarea(attrs={"rows": 4}))
    photos = MultiplePhotoField(label=_("Photos (up to 6)"), required=False)
