namespace Cloudtalk.Rating.Reconciliation;

/// <summary>What a rating rebuild found and did; the dashboard's Recompute ratings command shows it.</summary>
public sealed class RatingRebuildReport
{
    /// <summary>Products recomputed from their reviews and republished (<c>rating-updated</c>).</summary>
    public int ProductsRepublished { get; private set; }

    /// <summary>Products whose count or sum was wrong before the rebuild.</summary>
    public int ProductsCorrected { get; private set; }

    /// <summary>Products Rating held that the Api no longer has (a lost <c>product-deleted</c>): now marked deleted.</summary>
    public int ProductsRemoved { get; private set; }

    /// <summary>Products left alone because the Api serves them at the highest possible rating version.</summary>
    public int ProductsSkipped { get; private set; }

    /// <summary>Reviews read from the Api.</summary>
    public int ReviewsChecked { get; private set; }

    /// <summary>Review records added or changed to match the Api (a lost or corrupted event).</summary>
    public int ReviewsCorrected { get; private set; }

    /// <summary>Review records Rating counted that the Api no longer has (a lost <c>review-deleted</c>).</summary>
    public int ReviewsRemoved { get; private set; }

    internal void Republished(bool corrected)
    {
        ProductsRepublished++;
        ProductsCorrected += corrected ? 1 : 0;
    }

    internal void ProductRemoved(int liveReviews)
    {
        ProductsRemoved++;
        ReviewsRemoved += liveReviews;
    }

    internal void ProductSkipped() => ProductsSkipped++;

    internal void ReviewChecked(bool corrected)
    {
        ReviewsChecked++;
        ReviewsCorrected += corrected ? 1 : 0;
    }

    internal void ReviewRemoved() => ReviewsRemoved++;

    /// <summary>Adds a committed range's counts (a range retried after a transient failure counts once).</summary>
    internal void Add(RatingRebuildReport range)
    {
        ProductsRepublished += range.ProductsRepublished;
        ProductsCorrected += range.ProductsCorrected;
        ProductsRemoved += range.ProductsRemoved;
        ProductsSkipped += range.ProductsSkipped;
        ReviewsChecked += range.ReviewsChecked;
        ReviewsCorrected += range.ReviewsCorrected;
        ReviewsRemoved += range.ReviewsRemoved;
    }
}
