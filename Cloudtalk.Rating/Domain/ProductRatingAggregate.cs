using Cloudtalk.Common.Events;

namespace Cloudtalk.Rating.Domain;

/// <summary>
/// A product's rating aggregate: how many reviews it has and the sum of their ratings, changed by deltas only
/// (constant work per event, whatever the number of reviews). <see cref="Version"/> grows with every change and
/// goes out with each <see cref="RatingUpdated"/>. A deleted product keeps its row as a marker
/// (<see cref="IsDeleted"/>), so that a late review event cannot bring it back.
/// </summary>
public sealed class ProductRatingAggregate
{
    public long ProductId { get; set; }

    public int ReviewCount { get; set; }

    public long RatingSum { get; set; }

    public long Version { get; set; }

    public bool IsDeleted { get; set; }

    /// <summary>The exact mean of the current ratings; 0 without reviews.</summary>
    public double AverageRating => ReviewCount == 0 ? 0 : (double)RatingSum / ReviewCount;

    /// <summary>Replaces one review's contribution by another; bumps the version when the aggregate changed.</summary>
    /// <param name="before">The rating the review contributed so far (null: none).</param>
    /// <param name="after">The rating it contributes now (null: none).</param>
    /// <returns>True when the count or the sum changed.</returns>
    public bool Replace(int? before, int? after)
    {
        var countDelta = (after is null ? 0 : 1) - (before is null ? 0 : 1);
        var sumDelta = (after ?? 0) - (before ?? 0);
        if (countDelta == 0 && sumDelta == 0)
        {
            return false;
        }

        ReviewCount += countDelta;
        RatingSum += sumDelta;
        Version++;
        return true;
    }

    /// <summary>
    /// Sets the aggregate to a recomputation from scratch, with a version above both its own and the one the Api
    /// serves (<paramref name="servedVersion"/>), so that the Api applies the republished rating whatever it holds.
    /// </summary>
    /// <returns>True when the count or the sum was wrong.</returns>
    public bool Rebuild(int reviewCount, long ratingSum, long servedVersion)
    {
        var wasWrong = ReviewCount != reviewCount || RatingSum != ratingSum;
        ReviewCount = reviewCount;
        RatingSum = ratingSum;
        Version = Math.Max(Version, servedVersion) + 1;
        return wasWrong;
    }

    /// <summary>Marks the product deleted and empties its aggregate.</summary>
    public void MarkDeleted()
    {
        IsDeleted = true;
        ReviewCount = 0;
        RatingSum = 0;
        Version++;
    }

    /// <summary>The event that tells the Api about the current state.</summary>
    public RatingUpdated ToRatingUpdated() => new(ProductId, AverageRating, ReviewCount, Version);
}
