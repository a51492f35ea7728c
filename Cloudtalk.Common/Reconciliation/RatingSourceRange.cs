namespace Cloudtalk.Common.Reconciliation;

/// <summary>
/// What the Api holds for the products of one id range: the source Rating rebuilds its aggregates from
/// (<c>GET /api/operations/rating-sources</c>). Products and reviews come from one statement, so one snapshot.
/// </summary>
/// <param name="Products">The range's products in id order, each with all its reviews.</param>
/// <param name="NextProductId">The lowest product id above the range, null when there is none: where a rebuild goes
/// on (product ids can be far apart), or that it can stop.</param>
public sealed record RatingSourceRange(IReadOnlyList<ProductRatingSource> Products, long? NextProductId)
{
    /// <summary>The Api endpoint that serves a range.</summary>
    public const string Path = "/api/operations/rating-sources";

    /// <summary>The widest range one request may ask for (<c>throughProductId - afterProductId</c>).</summary>
    public const long MaxWidth = 1000;
}
