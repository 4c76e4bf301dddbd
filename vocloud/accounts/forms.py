from django import forms


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. 'laptop'.")


class MailChoiceForm(forms.Form):
    """The notification choice and the address it goes to."""

    job_ended = forms.BooleanField(
        required=False, label="E-mail me when a job I started from the portal ends"
    )
    email = forms.EmailField(
        required=False,
        max_length=254,
        label="E-mail address",
        help_text="Used for these mails only.",
    )

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        # EmailField strips the ends; a line break inside would start a new mail header.
        if any(char in email for char in "\r\n\0"):
            raise forms.ValidationError("Enter one e-mail address on one line.")
        return email

    def clean(self) -> dict:
        data = super().clean()
        if data.get("job_ended") and not data.get("email") and "email" not in self.errors:
            self.add_error("email", "Give the address to write to, or leave the box unticked.")
        return data
