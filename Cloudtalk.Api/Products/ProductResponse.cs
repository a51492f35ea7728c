using System.ComponentModel;

namespace Cloudtalk.Api.Products;

/// <summary>A product as the Api answers it.</summary>
public sealed record ProductResponse(
    long Id,
    string Name,
    string? Description,
    decimal Price,
    [property: Description("Exact, unrounded mean of the product's review ratings; 0 without reviews. Owned by the server.")]
    double AverageRating,
    [property: Description("Number of reviews. Owned by the server.")]
    int ReviewCount,
    [property: Description("UTC, ISO-8601, ends in Z.")]
    DateTime CreatedAt,
    [property: Description("UTC, ISO-8601, ends in Z.")]
    DateTime UpdatedAt)
{
    // numeric(12,2) reads back as e.g. 39.90; dividing by 1.000...0 drops trailing zeros, so the JSON
    // number is 39.9, as the original service wrote it.
    public static ProductResponse From(Product product) => new(
        product.Id, product.Name, product.Description, product.Price / 1.0000000000000000000000000000m,
        product.AverageRating, product.ReviewCount, product.CreatedAt, product.UpdatedAt);
}
