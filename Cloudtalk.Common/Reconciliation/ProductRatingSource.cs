namespace Cloudtalk.Common.Reconciliation;

/// <summary>One product as the Api holds it, for a rating rebuild.</summary>
/// <param name="ProductId">The product's id.</param>
/// <param name="RatingVersion">The version of the rating the Api serves: a rebuilt rating must go above it to be applied.</param>
/// <param name="Reviews">Every review of the product, in id order.</param>
public sealed record ProductRatingSource(long ProductId, long RatingVersion, IReadOnlyList<ReviewRatingSource> Reviews);
