namespace Cloudtalk.Api.Infrastructure;

/// <summary>Collects every invalid field of a request, keyed by its camelCase JSON name.</summary>
public sealed class ValidationErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool IsEmpty => _errors.Count == 0;

    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var messages))
        {
            _errors[field] = messages = [];
        }

        messages.Add(message);
    }

    /// <summary>
    /// True if the field came with a value to validate. Records "required" for a required field that was
    /// left out and for any required-when-present field sent as null (an update may leave fields out, but
    /// never clear a required one).
    /// </summary>
    public bool HasValueToCheck(FieldState state, string field, bool required)
    {
        switch (state)
        {
            case FieldState.Present:
                return true;
            case FieldState.Null:
            case FieldState.Missing when required:
                Add(field, $"The {field} field is required.");
                return false;
            default:
                return false;
        }
    }

    public Dictionary<string, string[]> ToDictionary() =>
        _errors.ToDictionary(pair => pair.Key, pair => pair.Value.ToArray(), StringComparer.Ordinal);
}
