using System.ComponentModel;

namespace Cloudtalk.Api.Reviews;

/// <summary>A review as the Api answers it.</summary>
public sealed record ReviewResponse(
    long Id,
    long ProductId,
    string FirstName,
    string? LastName,
    string? ReviewText,
    int Rating,
    [property: Description("UTC, ISO-8601, ends in Z.")]
    DateTime CreatedAt,
    [property: Description("UTC, ISO-8601, ends in Z.")]
    DateTime UpdatedAt)
{
    public static ReviewResponse From(Review review) => new(
        review.Id, review.ProductId, review.FirstName, review.LastName, review.ReviewText, review.Rating,
        review.CreatedAt, review.UpdatedAt);
}
