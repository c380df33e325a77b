"""Input validation shared by the services: marshmallow errors as the shared ``ValidationError``."""

from marshmallow import ValidationError as SchemaError

from shared.errors import ValidationError


def load(schema, data, **kwargs):
    """Validate ``data`` with a marshmallow schema, raising the shared ``ValidationError``."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValidationError({"_schema": ["Expected an object."]})
    try:
        return schema.load(data, **kwargs)
    except SchemaError as exc:
        raise ValidationError(flatten_errors(exc.messages)) from None


def one_or_many(data, name):
    """Filters accept ``{"status": "done"}`` as well as ``{"status": ["done", "cancelled"]}``."""
    if isinstance((data or {}).get(name), str):
        return {**data, name: [data[name]]}
    return data


def flatten_errors(messages, prefix=""):
    """marshmallow's nested error dict as ``{"funding.reference": [...]}``."""
    flat = {}
    if isinstance(messages, list):
        return {prefix or "_schema": [str(m) for m in messages]}
    for key, value in messages.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if key == "_schema" and prefix:
            name = prefix
        if isinstance(value, dict):
            flat.update(flatten_errors(value, name))
        else:
            flat.setdefault(name, []).extend(str(m) for m in value)
    return flat
