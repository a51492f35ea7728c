using Cloudtalk.Common.Messaging;

namespace Cloudtalk.Common.Events;

/// <summary>A product's aggregate rating changed. Published by Rating, applied by the Api.</summary>
/// <param name="ProductId">The product.</param>
/// <param name="AverageRating">The exact, unrounded mean of the product's current review ratings; 0 when there are none.</param>
/// <param name="ReviewCount">How many reviews the product has.</param>
/// <param name="Version">Grows with every change of the product's aggregate: apply only a version newer than the one held.</param>
public sealed record RatingUpdated(long ProductId, double AverageRating, int ReviewCount, long Version) : IIntegrationEvent
{
    /// <inheritdoc />
    public static string EventName => EventNames.RatingUpdated;
}
