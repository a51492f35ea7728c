namespace Cloudtalk.Rating.Domain;

/// <summary>
/// Rating's record of one review: its rating and the newest <see cref="ReviewVersion"/> applied. A deleted review
/// stays as a tombstone (<see cref="IsDeleted"/>), so that a create or update arriving late (with a lower version)
/// is recognised as stale and ignored.
/// </summary>
public sealed class ReviewRating
{
    public long ReviewId { get; set; }

    public long ProductId { get; set; }

    public int Rating { get; set; }

    /// <summary>The version of the newest event applied to this review.</summary>
    public long ReviewVersion { get; set; }

    public bool IsDeleted { get; set; }

    /// <summary>
    /// The version of a review known to be deleted for good (a rebuild found it gone from the Api): every event
    /// that may still arrive for it is older, so none can bring it back.
    /// </summary>
    public const long GoneForGoodVersion = long.MaxValue;

    /// <summary>The rating this review adds to its product's aggregate: none when deleted.</summary>
    public int? Contribution => IsDeleted ? null : Rating;

    /// <summary>Whether an event of this version is newer than what is recorded.</summary>
    public bool IsOlderThan(long version) => ReviewVersion < version;

    /// <summary>Records the state an event of <paramref name="version"/> describes.</summary>
    /// <param name="rating">The review's rating.</param>
    /// <param name="deleted">Whether the event deletes the review.</param>
    /// <param name="version">The event's review version.</param>
    public void Apply(int rating, bool deleted, long version)
    {
        Rating = rating;
        IsDeleted = deleted;
        ReviewVersion = version;
    }

    /// <summary>Records that the review no longer exists anywhere (see <see cref="GoneForGoodVersion"/>).</summary>
    public void MarkGoneForGood()
    {
        IsDeleted = true;
        ReviewVersion = GoneForGoodVersion;
    }
}
