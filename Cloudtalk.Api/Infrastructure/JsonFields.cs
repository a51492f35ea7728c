using System.Text.Json;

namespace Cloudtalk.Api.Infrastructure;

/// <summary>How a field appeared in a JSON body.</summary>
public enum FieldState
{
    Missing,
    Null,
    Present,

    /// <summary>Sent with the wrong JSON type; the error is already recorded.</summary>
    Invalid,
}

/// <summary>A field read from a JSON body: its state and, when <see cref="FieldState.Present"/>, its value.</summary>
public readonly record struct Field<T>(FieldState State, T Value)
{
    public bool IsPresent => State == FieldState.Present;
}

/// <summary>
/// Reads typed fields from a request body and records a type error per field instead of stopping.
/// Hand-written on purpose: System.Text.Json deserialization stops at the first wrong type, but the
/// contract wants every invalid field of a request (type errors included) reported at once.
/// Field names are matched exactly (camelCase, as in the contract); unknown fields are ignored.
/// </summary>
public sealed class JsonFields(JsonElement body, ValidationErrors errors)
{
    public Field<string> Text(string name)
    {
        if (Read(name) is { } element)
        {
            if (element.ValueKind == JsonValueKind.String)
            {
                // PostgreSQL text cannot hold NUL, and a lone surrogate (\ud800) has no UTF-8 form: refused here,
                // either would be a 500 when stored (found by the hostile-input fuzz test).
                if (TryGetStorableText(element) is { } text)
                {
                    return new(FieldState.Present, text);
                }

                errors.Add(name, $"The {name} field must be text without NUL characters or unpaired surrogates.");
                return new(FieldState.Invalid, "");
            }

            errors.Add(name, $"The {name} field must be a string.");
            return new(FieldState.Invalid, "");
        }

        return new(StateOfAbsent(name), "");
    }

    /// <summary>A whole JSON number (not a string, not a fraction, within 64 bits).</summary>
    public Field<long> WholeNumber(string name, string rangeMessage)
    {
        if (Read(name) is { } element)
        {
            if (element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out var value))
            {
                return new(FieldState.Present, value);
            }

            errors.Add(name, element.ValueKind == JsonValueKind.Number
                ? $"The {name} field must be a whole number; {rangeMessage}"
                : $"The {name} field must be a JSON number; {rangeMessage}");
            return new(FieldState.Invalid, 0);
        }

        return new(StateOfAbsent(name), 0);
    }

    /// <summary>A JSON number (not a string) that fits a decimal.</summary>
    public Field<decimal> Number(string name, string rangeMessage)
    {
        if (Read(name) is { } element)
        {
            if (element.ValueKind == JsonValueKind.Number && element.TryGetDecimal(out var value))
            {
                return new(FieldState.Present, value);
            }

            errors.Add(name, element.ValueKind == JsonValueKind.Number
                ? $"The {name} field is out of range; {rangeMessage}"
                : $"The {name} field must be a JSON number; {rangeMessage}");
            return new(FieldState.Invalid, 0);
        }

        return new(StateOfAbsent(name), 0);
    }

    private static string? TryGetStorableText(JsonElement element)
    {
        string text;
        try
        {
            text = element.GetString()!;
        }
        catch (InvalidOperationException)
        {
            // System.Text.Json refuses to unescape some invalid UTF-16 sequences.
            return null;
        }

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0' || char.IsLowSurrogate(c))
            {
                return null;
            }

            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]))
                {
                    return null;
                }

                i++;
            }
        }

        return text;
    }

    private JsonElement? Read(string name) =>
        body.TryGetProperty(name, out var element) && element.ValueKind != JsonValueKind.Null ? element : null;

    private FieldState StateOfAbsent(string name) =>
        body.TryGetProperty(name, out _) ? FieldState.Null : FieldState.Missing;
}
