"""Choosing a variant on the product page without JavaScript.

Each option value is a link to the variant that keeps the shopper's other
choices and changes just that one, or, when no such variant exists, to the
first variant that has the value at all.
"""

from dataclasses import dataclass

from catalog.models import Option, Variant


@dataclass(frozen=True)
class ValueChoice:
    value: str
    variant: Variant
    is_selected: bool
    is_exact: bool  # False when choosing it also changes another option


@dataclass(frozen=True)
class OptionChoices:
    option: Option
    values: list[ValueChoice]


def pick_variant(variants: list[Variant], sku: str | None) -> Variant | None:
    """The variant the shopper asked for by SKU, else the first one."""
    if not variants:
        return None
    return next((v for v in variants if v.sku == sku), variants[0])


def option_choices(variants: list[Variant], selected: Variant) -> list[OptionChoices]:
    """For each option the variants differ in, its values and the variant each one leads to."""
    chosen = {value.option_id: value for value in selected.option_values.all()}
    options: dict[int, Option] = {}
    values_of: dict[int, dict[str, None]] = {}
    # Each variant's values, read once: every value of every option compares them all.
    values_by_variant: list[tuple[Variant, dict[int, str]]] = []
    for variant in variants:
        values = variant.option_values.all()
        for value in values:
            options.setdefault(value.option_id, value.option)
            values_of.setdefault(value.option_id, {})[value.value] = None
        values_by_variant.append((variant, {value.option_id: value.value for value in values}))

    result = []
    for option in sorted(options.values(), key=lambda o: (o.position, o.name)):
        choices = []
        for value in values_of[option.pk]:
            wanted = {oid: v.value for oid, v in chosen.items()}
            wanted[option.pk] = value
            exact = next((v for v, values in values_by_variant if values == wanted), None)
            fallback = next(v for v, values in values_by_variant if values.get(option.pk) == value)
            chosen_value = chosen.get(option.pk)
            choices.append(
                ValueChoice(
                    value=value,
                    variant=exact or fallback,
                    is_selected=chosen_value is not None and chosen_value.value == value,
                    is_exact=exact is not None,
                )
            )
        result.append(OptionChoices(option=option, values=choices))
    return result
