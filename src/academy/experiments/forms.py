"""Console forms for flags and experiments: they parse staff input; the rules live in services."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from academy.accounts.forms import ServiceErrorsMixin
from academy.experiments.models import Experiment, Flag, ValueType
from academy.experiments.services import ExperimentInput, VariationInput

KEY_HELP = _("Lowercase letters, digits, hyphens or underscores; it cannot change later.")
JSON_AREA = forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "class": "code"})

if TYPE_CHECKING:
    _FlagField = forms.ModelChoiceField[Flag]
else:
    _FlagField = forms.ModelChoiceField


def _json(text: str, field: str, *, allow_text: bool = False) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        if allow_text:
            return text
        raise forms.ValidationError(
            _("This is not valid JSON: %(problem)s"), params={"problem": error.msg}, code=field
        ) from error


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.replace("\n", ",").split(",") if name.strip()]


class FlagForm(ServiceErrorsMixin):
    key = forms.CharField(label=_("Key"), max_length=64, help_text=KEY_HELP)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    value_type = forms.ChoiceField(label=_("Type of value"), choices=ValueType.choices)
    default_value = forms.CharField(
        label=_("Default value"),
        widget=JSON_AREA,
        help_text=_(
            'What creators get when no rule applies, written as JSON: true, 3, {"a": 1}. '
            "Text flags also take plain text."
        ),
    )
    enabled = forms.BooleanField(
        label=_("On (unticked, the kill switch serves the default value to everyone)"),
        required=False,
        initial=True,
    )
    rules = forms.CharField(
        label=_("Rules"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "class": "code"}),
        initial="[]",
        help_text=_(
            "GrowthBook force rules as a JSON list, tried in order before the experiments: "
            '[{"force": true, "condition": {"region": "BR"}, "coverage": 0.2}].'
        ),
    )

    def __init__(self, *args: Any, flag: Flag | None = None, **kwargs: Any) -> None:
        if flag is not None:
            kwargs.setdefault(
                "initial",
                {
                    "key": flag.key,
                    "description": flag.description,
                    "value_type": flag.value_type,
                    "default_value": json.dumps(flag.default_value, ensure_ascii=False),
                    "enabled": flag.enabled,
                    "rules": json.dumps(flag.rules, ensure_ascii=False, indent=2),
                },
            )
        super().__init__(*args, **kwargs)
        if flag is not None:
            self.fields["key"].disabled = True
            self.fields["value_type"].disabled = True

    def clean_default_value(self) -> Any:
        value_type = self.data.get("value_type") or self.initial.get("value_type")
        return _json(
            self.cleaned_data["default_value"], "default_value", allow_text=value_type == "string"
        )

    def clean_rules(self) -> Any:
        return _json(self.cleaned_data["rules"] or "[]", "rules")


class VariationsField(forms.CharField):
    """One variation a line: ``key | name | value`` (the value as JSON, or plain text)."""

    def to_python(self, value: Any) -> list[VariationInput]:  # type: ignore[override]
        variations = []
        for number, line in enumerate(str(value or "").splitlines(), start=1):
            if not line.strip():
                continue
            parts = [part.strip() for part in line.split("|", 2)]
            if len(parts) != 3:
                raise forms.ValidationError(
                    _("Line %(number)s: write key | name | value."),
                    params={"number": number},
                    code="variations",
                )
            key, name, raw = parts
            variations.append(
                VariationInput(key=key, name=name, value=_json(raw, "", allow_text=True))
            )
        return variations

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(
                f"{item['key']} | {item['name']} | {json.dumps(item['value'], ensure_ascii=False)}"
                for item in value
            )
        return value


class FlagChoiceField(_FlagField):
    def label_from_instance(self, obj: Flag) -> str:
        return f"{obj.key} ({ValueType(obj.value_type).label})"


class ExperimentForm(ServiceErrorsMixin):
    key = forms.CharField(label=_("Key"), max_length=64, help_text=KEY_HELP)
    name = forms.CharField(label=_("Name"), max_length=120)
    hypothesis = forms.CharField(
        label=_("Hypothesis"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    flag = FlagChoiceField(
        label=_("Flag it drives"), queryset=Flag.objects.order_by("key"), to_field_name="key"
    )
    variations = VariationsField(
        label=_("Variations"),
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "class": "code"}),
        help_text=_("One a line: key | name | value. The first is the control."),
    )
    weights = forms.CharField(
        label=_("Weights"), help_text=_("One per variation, adding up to 1: 0.5, 0.5.")
    )
    coverage = forms.FloatField(
        label=_("Coverage"),
        initial=1.0,
        help_text=_("The share of targeted creators in the experiment, from 0 to 1."),
    )
    namespace = forms.CharField(
        label=_("Namespace"),
        required=False,
        help_text=_("Experiments in one namespace never share a creator if their ranges differ."),
    )
    namespace_start = forms.FloatField(label=_("Namespace range start"), initial=0.0)
    namespace_end = forms.FloatField(label=_("Namespace range end"), initial=1.0)
    hash_attribute = forms.CharField(label=_("Assign by attribute"), initial="id")
    seed = forms.CharField(
        label=_("Seed"), required=False, help_text=_("Left empty, the experiment's key.")
    )
    condition = forms.CharField(
        label=_("Targeting condition"),
        required=False,
        widget=JSON_AREA,
        initial="{}",
        help_text=_('Which creators may take part, as JSON: {"region": {"$in": ["BR", "PT"]}}.'),
    )
    holdout = forms.CharField(
        label=_("Holdout"),
        required=False,
        widget=JSON_AREA,
        initial="[]",
        help_text=_(
            'GrowthBook filters keeping a holdout out: [{"seed": "holdout", "ranges": '
            "[[0.05, 1]]}] leaves one creator in twenty out of it."
        ),
    )
    primary_metrics = forms.CharField(
        label=_("Primary metrics"), required=False, help_text=_("Metric keys, separated by commas.")
    )
    guardrail_metrics = forms.CharField(
        label=_("Guardrail metrics"),
        required=False,
        help_text=_("Metric keys, separated by commas."),
    )

    def __init__(self, *args: Any, experiment: Experiment | None = None, **kwargs: Any) -> None:
        if experiment is not None:
            kwargs.setdefault(
                "initial",
                {
                    "key": experiment.key,
                    "name": experiment.name,
                    "hypothesis": experiment.hypothesis,
                    "flag": experiment.flag.key,
                    "variations": experiment.variations,
                    "weights": ", ".join(f"{weight:g}" for weight in experiment.weights),
                    "coverage": experiment.coverage,
                    "namespace": experiment.namespace,
                    "namespace_start": experiment.namespace_start,
                    "namespace_end": experiment.namespace_end,
                    "hash_attribute": experiment.hash_attribute,
                    "seed": experiment.seed,
                    "condition": json.dumps(experiment.condition, ensure_ascii=False),
                    "holdout": json.dumps(experiment.holdout, ensure_ascii=False),
                    "primary_metrics": ", ".join(experiment.primary_metrics),
                    "guardrail_metrics": ", ".join(experiment.guardrail_metrics),
                },
            )
        super().__init__(*args, **kwargs)
        if experiment is not None:
            self.fields["key"].disabled = True
            self.fields["flag"].disabled = True

    def clean_weights(self) -> list[float]:
        try:
            return [float(part) for part in _names(self.cleaned_data["weights"])]
        except ValueError as error:
            raise forms.ValidationError(
                _("Write numbers separated by commas: 0.5, 0.5."), code="weights"
            ) from error

    def clean_condition(self) -> Any:
        return _json(self.cleaned_data["condition"] or "{}", "condition")

    def clean_holdout(self) -> Any:
        return _json(self.cleaned_data["holdout"] or "[]", "holdout")

    def experiment_input(self) -> ExperimentInput:
        data = self.cleaned_data
        return ExperimentInput(
            name=data["name"],
            hypothesis=data["hypothesis"],
            variations=data["variations"],
            weights=data["weights"],
            coverage=data["coverage"],
            namespace=data["namespace"],
            namespace_start=data["namespace_start"],
            namespace_end=data["namespace_end"],
            hash_attribute=data["hash_attribute"],
            seed=data["seed"],
            condition=data["condition"],
            holdout=data["holdout"],
            primary_metrics=_names(data["primary_metrics"]),
            guardrail_metrics=_names(data["guardrail_metrics"]),
        )


class ExperimentActionForm(ServiceErrorsMixin):
    ACTIONS = {
        "start": _("Start"),
        "stop": _("Stop"),
        "ship": _("Ship"),
        "restart": _("Restart"),
    }
    action = forms.ChoiceField(choices=list(ACTIONS.items()))
    variation = forms.CharField(label=_("Variation to ship"), required=False)
    # A restart may change the variations and weights.
    variations = VariationsField(label=_("Variations"), required=False)
    weights = forms.CharField(label=_("Weights"), required=False)

    def clean_weights(self) -> list[float] | None:
        if not self.cleaned_data["weights"].strip():
            return None
        try:
            return [float(part) for part in _names(self.cleaned_data["weights"])]
        except ValueError as error:
            raise forms.ValidationError(
                _("Write numbers separated by commas: 0.5, 0.5."), code="weights"
            ) from error


class UtcDateTimeField(forms.DateTimeField):
    """A ``datetime-local`` input read as UTC, as the console shows every time."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def to_python(self, value: Any) -> datetime | None:
        parsed = super().to_python(value)
        if parsed is None:
            return None
        if timezone.is_aware(parsed):
            parsed = timezone.make_naive(parsed)
        return parsed.replace(tzinfo=UTC)


class ScheduleForm(ServiceErrorsMixin):
    FLAG_CHANGES = {
        "enable": _("Turn the flag on"),
        "disable": _("Turn the flag off (kill switch)"),
        "default_value": _("Set a new default value"),
    }
    EXPERIMENT_CHANGES = {"start": _("Start the experiment"), "stop": _("Stop the experiment")}

    at = UtcDateTimeField(label=_("When (UTC)"))
    change = forms.ChoiceField(label=_("Change"))
    value = forms.CharField(
        label=_("New default value"),
        required=False,
        help_text=_("Only for a new default value; written as JSON, or plain text for text flags."),
    )

    def __init__(self, *args: Any, flag: Flag | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.flag = flag
        field = self.fields["change"]
        assert isinstance(field, forms.ChoiceField)
        if flag is not None:
            field.choices = list(self.FLAG_CHANGES.items())
        else:
            field.choices = list(self.EXPERIMENT_CHANGES.items())
            del self.fields["value"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        change = data.get("change")
        if change == "enable":
            data["change_json"] = {"enabled": True}
        elif change == "disable":
            data["change_json"] = {"enabled": False}
        elif change == "default_value":
            assert self.flag is not None
            try:
                value = _json(
                    data.get("value", ""),
                    "value",
                    allow_text=self.flag.value_type == ValueType.STRING,
                )
            except forms.ValidationError as error:
                self.add_error("value", error)
            else:
                data["change_json"] = {"default_value": value}
        elif change:
            data["change_json"] = {"action": change}
        return data
