namespace Cloudtalk.Api.Operations;

/// <summary>A product whose served rating differs from the recomputation from its reviews.</summary>
/// <param name="ProductId">The product.</param>
/// <param name="ServedAverageRating">The <c>averageRating</c> the Api serves (stored on the product).</param>
/// <param name="ServedReviewCount">The <c>reviewCount</c> the Api serves (stored on the product).</param>
/// <param name="ExpectedAverageRating">The exact mean of the product's reviews in the Api's database (0 without reviews).</param>
/// <param name="ExpectedReviewCount">The number of the product's reviews in the Api's database.</param>
public sealed record RatingMismatch(
    long ProductId,
    double ServedAverageRating,
    int ServedReviewCount,
    double ExpectedAverageRating,
    int ExpectedReviewCount);
