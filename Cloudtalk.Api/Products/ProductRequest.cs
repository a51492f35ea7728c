using System.ComponentModel;

namespace Cloudtalk.Api.Products;

/// <summary>
/// The body of POST and PUT /api/products, for the OpenAPI document. The body is parsed by
/// <see cref="ProductRules"/>, not bound to this type (so that every error is reported at once).
/// </summary>
public sealed record ProductRequest(
    [property: Description("Required, 1-200 characters after trimming (surrounding spaces are removed).")]
    string Name,
    [property: Description("Optional, at most 2,000 characters; null clears it.")]
    string? Description,
    [property: Description("Required on create: a JSON number from 0 to 1,000,000,000 with at most 2 decimals.")]
    decimal Price);
