using System.ComponentModel;

namespace Cloudtalk.Api.Reviews;

/// <summary>
/// The body of POST /api/reviews and PUT /api/reviews/{id}, for the OpenAPI document. The body is parsed by
/// <see cref="ReviewRules"/>, not bound to this type (so that every error is reported at once).
/// </summary>
public sealed record ReviewRequest(
    [property: Description("Required on create: the id of an existing product. On update it may be left out or repeated, never changed.")]
    long ProductId,
    [property: Description("Required, 1-100 characters after trimming.")]
    string FirstName,
    [property: Description("Optional, at most 100 characters after trimming; null clears it.")]
    string? LastName,
    [property: Description("Optional, at most 4,000 characters; null clears it.")]
    string? ReviewText,
    [property: Description("Required: a JSON whole number from 1 to 5 (not \"5\", not 3.5).")]
    int Rating);
