"""The builder page's forms: a template's flows, subflows and messages, each as one formset, in the
words a shop uses (pt-BR through gettext), with pickers for actions, variables and file types."""

from django import forms
from django.forms import BaseModelFormSet, modelformset_factory
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from flows import actions
from flows.models import Flow, FlowMessage, Subflow

# What a file wait can ask for: extensions and MIME families (the engine accepts both).
FILE_TYPE_CHOICES = [
    ("pdf", "PDF"),
    ("image/*", _("Image (photo)")),
    ("jpg", "JPG"),
    ("png", "PNG"),
    ("docx", "Word (DOCX)"),
    ("xlsx", "Excel (XLSX)"),
    ("txt", "TXT"),
]


class CommaListField(forms.CharField):
    """A list of words typed as "cardápio, menu" (keywords)."""

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return value

    def to_python(self, value):
        if isinstance(value, list | tuple):
            return [str(v).strip() for v in value if str(v).strip()]
        value = super().to_python(value)
        return [part.strip() for part in (value or "").split(",") if part.strip()]

    def has_changed(self, initial, data):
        return self.to_python(initial or []) != self.to_python(data or "")


def _order_field():
    return forms.IntegerField(
        label=pgettext_lazy("position", "order"),
        initial=0,
        widget=forms.NumberInput(attrs={"class": "builder-order", "size": 3}),
    )


class FlowForm(forms.ModelForm):
    order_index = _order_field()

    class Meta:
        model = Flow
        fields = ("name", "is_default", "is_active", "order_index")


class SubflowForm(forms.ModelForm):
    order_index = _order_field()
    trigger_keywords = CommaListField(
        label=_("keywords"),
        required=False,
        help_text=_("Separated by commas, e.g. cardápio, menu. Empty: part of the main line."),
    )

    class Meta:
        model = Subflow
        fields = ("flow", "name", "trigger_keywords", "parent_subflow", "order_index", "is_active")

    def __init__(self, *args, template=None, choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["flow"].queryset = Flow.objects.filter(template=template)
        self.fields["flow"].empty_label = None
        self.fields["flow"].label = _("flow")
        self.fields["parent_subflow"].queryset = Subflow.objects.filter(flow__template=template)
        self.fields["parent_subflow"].label = _("when it ends, return to")
        if choices is not None:  # read once for the whole page: the queries do not grow with the rows
            self.fields["flow"].choices = choices["flows"]
            self.fields["parent_subflow"].choices = [("", "---------"), *choices["subflows"]]


class FlowMessageForm(forms.ModelForm):
    order_index = _order_field()
    expected_file_types = forms.MultipleChoiceField(
        label=_("expected file types"),
        choices=FILE_TYPE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "builder-file-types"}),
        help_text=_("None ticked: any document."),
    )

    class Meta:
        model = FlowMessage
        fields = (
            "subflow",
            "order_index",
            "message_type",
            "message_text",
            "wait_for_response",
            "wait_for_file",
            "expected_file_types",
            "delay_seconds",
            "save_reply_as",
            "action",
            "is_active",
        )
        widgets = {
            "message_text": forms.Textarea(attrs={"rows": 3, "class": "builder-text"}),
            "action": forms.TextInput(
                attrs={"list": "builder-actions", "class": "builder-action", "autocomplete": "off"}
            ),
            "save_reply_as": forms.TextInput(attrs={"list": "builder-variables", "autocomplete": "off"}),
            "delay_seconds": forms.NumberInput(attrs={"size": 4}),
        }
        help_texts = {"message_text": _("Insert variables with the picker: {{ nome }}.")}

    def __init__(self, *args, template=None, choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subflow"].queryset = Subflow.objects.filter(flow__template=template)
        self.fields["subflow"].empty_label = None
        self.fields["subflow"].label = _("subflow")
        if choices is not None:
            self.fields["subflow"].choices = choices["subflows"]
        self.fields["action"].help_text = _("Pick one of the registered actions.")
        current = list(self.initial.get("expected_file_types") or [])
        known = {value for value, _label in FILE_TYPE_CHOICES}
        extra = [(value, value) for value in current if value not in known]  # kept from an import
        if extra:
            self.fields["expected_file_types"].choices = [*FILE_TYPE_CHOICES, *extra]


class _TemplateFormSet(BaseModelFormSet):
    def __init__(self, *args, template=None, **kwargs):
        self.template = template
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "template": self.template}


FlowFormSet = modelformset_factory(Flow, form=FlowForm, extra=1, can_delete=True)
SubflowFormSet = modelformset_factory(Subflow, form=SubflowForm, formset=_TemplateFormSet, extra=1, can_delete=True)
MessageFormSet = modelformset_factory(
    FlowMessage, form=FlowMessageForm, formset=_TemplateFormSet, extra=0, can_delete=True
)


def action_choices() -> list[dict]:
    """The action picker: every registered hook with its description."""
    return [{"name": info.name, "description": str(info.description or "")} for info in actions.registered()]


def variable_choices(template_id: int) -> list[dict]:
    """The variable picker: built-ins (with descriptions), then the ones the template's messages
    save and registered actions set."""
    entries = [
        {"name": name, "description": str(text), "builtin": True} for name, text in actions.builtin_variables().items()
    ]
    seen = {e["name"] for e in entries}
    saved = (
        FlowMessage.objects.filter(subflow__flow__template_id=template_id)
        .exclude(save_reply_as="")
        .values_list("save_reply_as", flat=True)
        .distinct()
    )
    for info in actions.registered():
        saved = [*saved, *info.sets]
    for name in sorted(set(saved) - seen):
        entries.append({"name": name, "description": str(_("saved by this flow")), "builtin": False})
    return entries
