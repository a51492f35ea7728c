using Cloudtalk.Api.Infrastructure;
using Cloudtalk.Api.Products;
using Cloudtalk.Common.Caching;
using Cloudtalk.Common.Events;
using Cloudtalk.Common.Messaging;
using Microsoft.EntityFrameworkCore;

namespace Cloudtalk.Api.Ratings;

/// <summary>
/// Applies <c>rating-updated</c> from Rating to the product the Api serves:
/// <list type="bullet">
/// <item>Newer only: one conditional <c>UPDATE ... WHERE rating_version &lt; @version</c>, so a duplicate, a
/// redelivery or an older rating that arrives after a newer one (competing Rating replicas publish out of order)
/// changes nothing. The version check is the idempotency: no processed-event table is needed.</item>
/// <item><c>updated_at</c> is left alone: it tells a client when the product itself was last edited, and a new
/// rating is not an edit of the product (the original service did not touch it either).</item>
/// <item>A product that no longer exists was deleted while its rating was in flight (normal: reviews and the
/// product-deleted event race through Rating). The event is acknowledged and ignored, not dead-lettered: ids are
/// never reused, so there is nothing it could ever apply to.</item>
/// <item>After a change the product's item and the list pages are invalidated, so the next read shows the new
/// rating at once.</item>
/// </list>
/// </summary>
public sealed partial class RatingUpdatedHandler(ApiDbContext db, CacheAside cache, ILogger<RatingUpdatedHandler> logger)
    : IIntegrationEventHandler<RatingUpdated>
{
    public async Task HandleAsync(RatingUpdated @event, EventMetadata metadata, CancellationToken cancellationToken)
    {
        if (@event.ProductId <= 0 || @event.ReviewCount < 0 || @event.Version <= 0 ||
            !double.IsFinite(@event.AverageRating) || @event.AverageRating is < 0 or > 5 ||
            (@event.ReviewCount == 0 && @event.AverageRating != 0) ||
            (@event.ReviewCount > 0 && @event.AverageRating < 1))
        {
            throw new UnprocessableEventException(
                $"{metadata.EventName} {metadata.EventId} is out of range (product {@event.ProductId}, average " +
                $"{@event.AverageRating}, count {@event.ReviewCount}, version {@event.Version}).");
        }

        var rows = await db.Products
            .Where(product => product.Id == @event.ProductId && product.RatingVersion < @event.Version)
            .ExecuteUpdateAsync(setters => setters
                .SetProperty(product => product.AverageRating, @event.AverageRating)
                .SetProperty(product => product.ReviewCount, @event.ReviewCount)
                .SetProperty(product => product.RatingVersion, @event.Version), cancellationToken);
        if (rows == 1)
        {
            await InvalidateAsync(@event.ProductId);
            return;
        }

        var heldVersion = await db.Products.AsNoTracking()
            .Where(product => product.Id == @event.ProductId)
            .Select(product => (long?)product.RatingVersion)
            .FirstOrDefaultAsync(cancellationToken);
        if (heldVersion is null)
        {
            LogProductGone(logger, @event.ProductId, @event.Version);
        }
        else if (heldVersion == @event.Version)
        {
            // A redelivery of the rating we hold: this process (or one that crashed) may have committed it without
            // getting to the invalidation, so invalidate again; it is cheap and never wrong.
            await InvalidateAsync(@event.ProductId);
        }
        else
        {
            LogStale(logger, @event.ProductId, @event.Version, heldVersion.Value);
        }
    }

    private Task InvalidateAsync(long productId) =>
        cache.InvalidateAsync(ProductCacheScopes.Item(productId), ProductCacheScopes.List);

    [LoggerMessage(Level = LogLevel.Debug,
        Message = "rating-updated for product {ProductId} (version {Version}) ignored: the product was deleted")]
    private static partial void LogProductGone(ILogger logger, long productId, long version);

    [LoggerMessage(Level = LogLevel.Debug,
        Message = "rating-updated for product {ProductId} (version {Version}) ignored: version {HeldVersion} is already applied")]
    private static partial void LogStale(ILogger logger, long productId, long version, long heldVersion);
}
