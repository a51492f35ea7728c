using Cloudtalk.Api.Reviews;

namespace Cloudtalk.Api.Products;

public sealed class Product
{
    public long Id { get; set; }

    public required string Name { get; set; }

    public string? Description { get; set; }

    public decimal Price { get; set; }

    /// <summary>Exact mean of the current review ratings; written only by the rating pipeline.</summary>
    public double AverageRating { get; set; }

    /// <summary>Number of current reviews; written only by the rating pipeline.</summary>
    public int ReviewCount { get; set; }

    /// <summary>
    /// The version of the last <c>rating-updated</c> event applied; a rating is applied only when its
    /// version is greater, so an older rating never overwrites a newer one.
    /// </summary>
    public long RatingVersion { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime UpdatedAt { get; set; }

    public List<Review> Reviews { get; } = [];
}
