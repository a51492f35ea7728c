using Cloudtalk.Common.Messaging;

namespace Cloudtalk.Common.Events;

/// <summary>A product, and with it all its reviews, was deleted. Published by the Api.</summary>
/// <param name="ProductId">The deleted product.</param>
public sealed record ProductDeleted(long ProductId) : IIntegrationEvent
{
    /// <inheritdoc />
    public static string EventName => EventNames.ProductDeleted;
}
