using Cloudtalk.Common.Messaging;

namespace Cloudtalk.Common.Events;

/// <summary>A review was created. Published by the Api.</summary>
/// <param name="ReviewId">The review's id.</param>
/// <param name="ProductId">The product the review belongs to (a review never moves).</param>
/// <param name="Rating">The rating, 1 to 5.</param>
/// <param name="ReviewVersion">The review's write counter: 1 on create, +1 on each update, last + 1 on delete; orders the events of one review.</param>
public sealed record ReviewCreated(long ReviewId, long ProductId, int Rating, long ReviewVersion) : IIntegrationEvent
{
    /// <inheritdoc />
    public static string EventName => EventNames.ReviewCreated;
}

/// <summary>A review was changed. Published by the Api.</summary>
/// <param name="ReviewId">The review's id.</param>
/// <param name="ProductId">The product the review belongs to.</param>
/// <param name="Rating">The new rating, 1 to 5.</param>
/// <param name="PreviousRating">The rating before this change.</param>
/// <param name="ReviewVersion">The review's write counter after this change.</param>
public sealed record ReviewUpdated(long ReviewId, long ProductId, int Rating, int PreviousRating, long ReviewVersion) : IIntegrationEvent
{
    /// <inheritdoc />
    public static string EventName => EventNames.ReviewUpdated;
}

/// <summary>A review was deleted. Published by the Api.</summary>
/// <param name="ReviewId">The review's id.</param>
/// <param name="ProductId">The product the review belonged to.</param>
/// <param name="Rating">The rating the review had when it was deleted.</param>
/// <param name="ReviewVersion">The review's last write counter + 1.</param>
public sealed record ReviewDeleted(long ReviewId, long ProductId, int Rating, long ReviewVersion) : IIntegrationEvent
{
    /// <inheritdoc />
    public static string EventName => EventNames.ReviewDeleted;
}
