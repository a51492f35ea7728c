using Cloudtalk.Common.Events;
using Cloudtalk.Common.Messaging;
using Cloudtalk.Common.Outbox;
using Cloudtalk.Rating.Domain;
using Cloudtalk.Rating.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Cloudtalk.Rating.Application;

/// <summary>
/// Applies review and product events to Rating's records, each in one transaction that also records the event id
/// (idempotency) and, when the aggregate changed, enqueues <c>rating-updated</c> into the outbox:
/// <list type="bullet">
/// <item>Idempotent: the event id is inserted into <c>processed_events</c> first; a conflict means it was applied.</item>
/// <item>Serialised per product: the aggregate row is created if missing and locked (<c>FOR UPDATE</c>), so
/// competing replicas apply one product's events one at a time, whatever their order of arrival.</item>
/// <item>Order-safe: an event whose review version is not newer than the recorded one is stale and ignored; an
/// update or delete that arrives before its create records the review (or its tombstone) at that version, so the
/// late create is ignored.</item>
/// <item>Constant work: the aggregate changes by the delta between the review's old and new contribution.</item>
/// <item>A deleted product keeps a marker; later review events for it change nothing.</item>
/// </list>
/// </summary>
public sealed partial class RatingProjection(RatingDbContext db, TimeProvider timeProvider, ILogger<RatingProjection> logger) :
    IIntegrationEventHandler<ReviewCreated>,
    IIntegrationEventHandler<ReviewUpdated>,
    IIntegrationEventHandler<ReviewDeleted>,
    IIntegrationEventHandler<ProductDeleted>
{
    public Task HandleAsync(ReviewCreated @event, EventMetadata metadata, CancellationToken cancellationToken) =>
        ApplyReviewAsync(metadata, @event.ReviewId, @event.ProductId, @event.Rating, deleted: false, @event.ReviewVersion, cancellationToken);

    public Task HandleAsync(ReviewUpdated @event, EventMetadata metadata, CancellationToken cancellationToken) =>
        ApplyReviewAsync(metadata, @event.ReviewId, @event.ProductId, @event.Rating, deleted: false, @event.ReviewVersion, cancellationToken);

    public Task HandleAsync(ReviewDeleted @event, EventMetadata metadata, CancellationToken cancellationToken) =>
        ApplyReviewAsync(metadata, @event.ReviewId, @event.ProductId, @event.Rating, deleted: true, @event.ReviewVersion, cancellationToken);

    public Task HandleAsync(ProductDeleted @event, EventMetadata metadata, CancellationToken cancellationToken) =>
        InTransactionAsync(metadata, async token =>
        {
            var aggregate = await LockAggregateAsync(@event.ProductId, token);
            if (aggregate.IsDeleted)
            {
                return;
            }

            await db.ReviewRatings.Where(review => review.ProductId == @event.ProductId).ExecuteDeleteAsync(token);
            aggregate.MarkDeleted();
            LogProductDeleted(logger, @event.ProductId);
        }, cancellationToken);

    private Task ApplyReviewAsync(EventMetadata metadata, long reviewId, long productId, int rating, bool deleted, long version,
        CancellationToken cancellationToken)
    {
        if (rating is < 1 or > 5 || reviewId <= 0 || productId <= 0 || version <= 0)
        {
            throw new UnprocessableEventException(
                $"{metadata.EventName} {metadata.EventId} is out of range (review {reviewId}, product {productId}, rating {rating}, version {version}).");
        }

        return InTransactionAsync(metadata, async token =>
        {
            var aggregate = await LockAggregateAsync(productId, token);
            if (aggregate.IsDeleted)
            {
                LogIgnored(logger, metadata.EventName, metadata.EventId, "its product is deleted");
                return;
            }

            var review = await db.ReviewRatings.SingleOrDefaultAsync(candidate => candidate.ReviewId == reviewId, token);
            if (review is not null && review.ProductId != productId)
            {
                // A review never moves to another product: applying this would corrupt two aggregates.
                throw new UnprocessableEventException(
                    $"{metadata.EventName} {metadata.EventId} puts review {reviewId} under product {productId}, but it belongs to product {review.ProductId}.");
            }

            if (review is not null && !review.IsOlderThan(version))
            {
                LogIgnored(logger, metadata.EventName, metadata.EventId, "a newer version of its review is already applied");
                return;
            }

            // A review seen for the first time contributed nothing so far.
            var before = review?.Contribution;
            if (review is null)
            {
                review = new ReviewRating { ReviewId = reviewId, ProductId = aggregate.ProductId };
                db.ReviewRatings.Add(review);
            }

            review.Apply(rating, deleted, version);
            if (aggregate.Replace(before, review.Contribution))
            {
                db.AddOutboxEvent(aggregate.ToRatingUpdated());
            }
        }, cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="apply"/> in a transaction that first records the event id; a duplicate does nothing.
    /// Wrapped in the context's execution strategy (Aspire enables retries on transient failures).
    /// </summary>
    private Task InTransactionAsync(EventMetadata metadata, Func<CancellationToken, Task> apply, CancellationToken cancellationToken) =>
        db.Database.CreateExecutionStrategy().ExecuteAsync(async token =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(token);
            var now = timeProvider.GetUtcNow();
            var inserted = await db.Database.ExecuteSqlInterpolatedAsync(
                $"INSERT INTO processed_events (event_id, event_name, processed_at) VALUES ({metadata.EventId}, {metadata.EventName}, {now}) ON CONFLICT (event_id) DO NOTHING",
                token);
            if (inserted == 0)
            {
                LogIgnored(logger, metadata.EventName, metadata.EventId, "it was processed before");
                return;
            }

            await apply(token);
            await db.SaveChangesAsync(token);
            await transaction.CommitAsync(token);
        }, cancellationToken);

    /// <summary>The product's aggregate row, created empty if missing, locked until the transaction ends.</summary>
    private async Task<ProductRatingAggregate> LockAggregateAsync(long productId, CancellationToken cancellationToken)
    {
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"INSERT INTO product_rating_aggregates (product_id, review_count, rating_sum, version, is_deleted) VALUES ({productId}, 0, 0, 0, FALSE) ON CONFLICT (product_id) DO NOTHING",
            cancellationToken);
        return await db.ProductRatingAggregates
            .FromSqlInterpolated($"SELECT * FROM product_rating_aggregates WHERE product_id = {productId} FOR UPDATE")
            .SingleAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{EventName} {EventId} changes nothing: {Reason}.")]
    private static partial void LogIgnored(ILogger logger, string eventName, Guid eventId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Product {ProductId} is deleted; its rating records are removed.")]
    private static partial void LogProductDeleted(ILogger logger, long productId);
}
