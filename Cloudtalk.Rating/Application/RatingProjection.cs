using Cloudtalk.Common.Events;
using Cloudtalk.Common.Messaging;
using Cloudtalk.Common.Outbox;
using Cloudtalk.Rating.Domain;
using Cloudtalk.Rating.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Cloudtalk.Rating.Application;

/// <summary>
/// Applies a batch of review and product events to Rating's records in one transaction that also records every
/// event id (idempotency) and enqueues one <c>rating-updated</c> per product whose aggregate changed:
/// <list type="bullet">
/// <item>Idempotent: the event ids are inserted into <c>processed_events</c> first; the ones that conflict were
/// applied before and are skipped, as is a second copy inside the batch.</item>
/// <item>Serialised per product: the batch's aggregate rows are created if missing and locked (<c>FOR UPDATE</c>)
/// in product order, so competing workers and replicas apply one product's events one at a time, whatever their
/// order of arrival, and never deadlock on each other.</item>
/// <item>Order-safe: an event whose review version is not newer than the recorded one is stale and ignored; an
/// update or delete that arrives before its create records the review (or its tombstone) at that version, so the
/// late create is ignored.</item>
/// <item>Constant work per event: the aggregate changes by the delta between the review's old and new contribution.
/// A product changed by several events of the batch gets one <c>rating-updated</c>, with its final state and version,
/// in the trace of the last event that changed it.</item>
/// <item>A deleted product keeps a marker; later review events for it change nothing.</item>
/// </list>
/// A batch costs the same round trips as a single event (eight, the commit included), which is what makes a busy
/// queue cheap.
/// </summary>
public sealed partial class RatingProjection(RatingDbContext db, TimeProvider timeProvider, ILogger<RatingProjection> logger)
    : IIntegrationEventBatchHandler
{
    public async Task HandleAsync(IReadOnlyList<IncomingEvent> batch, CancellationToken cancellationToken)
    {
        foreach (var incoming in batch)
        {
            Validate(incoming);
        }

        await db.Database.CreateExecutionStrategy().ExecuteAsync(async token =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(token);
            var fresh = await RecordEventIdsAsync(batch, token);
            if (fresh.Count > 0)
            {
                var changes = await ApplyAsync(fresh, token);
                await SaveAsync(changes, token);
                var deletedProducts = changes.DeletedProducts;
                if (deletedProducts.Count > 0)
                {
                    await db.ReviewRatings.Where(review => deletedProducts.Contains(review.ProductId)).ExecuteDeleteAsync(token);
                }
            }

            await transaction.CommitAsync(token);
        }, cancellationToken);
    }

    private static void Validate(IncomingEvent incoming)
    {
        if (incoming.Event is not (ReviewCreated or ReviewUpdated or ReviewDeleted or ProductDeleted))
        {
            throw new UnprocessableEventException($"{incoming.Metadata.EventName} {incoming.Metadata.EventId} is not an event Rating handles.");
        }

        var review = ReviewChangeOf(incoming.Event);
        if (ProductOf(incoming.Event) <= 0 ||
            review is { } change && (change.Rating is < 1 or > 5 || change.ReviewId <= 0 || change.Version <= 0))
        {
            throw new UnprocessableEventException(
                $"{incoming.Metadata.EventName} {incoming.Metadata.EventId} is out of range ({incoming.Event}).");
        }
    }

    /// <summary>Records the batch's event ids; returns the events not applied before, first copies only, in delivery order.</summary>
    private async Task<List<IncomingEvent>> RecordEventIdsAsync(IReadOnlyList<IncomingEvent> batch, CancellationToken cancellationToken)
    {
        var distinct = batch.DistinctBy(incoming => incoming.Metadata.EventId).ToList();
        var ids = distinct.Select(incoming => incoming.Metadata.EventId).ToArray();
        var names = distinct.Select(incoming => incoming.Metadata.EventName).ToArray();
        var now = timeProvider.GetUtcNow();
        // In id order, so that two batches holding the same redelivered ids wait for each other instead of deadlocking.
        var inserted = (await db.Database.SqlQuery<Guid>($"""
                INSERT INTO processed_events (event_id, event_name, processed_at)
                SELECT id, name, {now} FROM unnest({ids}, {names}) AS batch(id, name) ORDER BY id
                ON CONFLICT (event_id) DO NOTHING
                RETURNING event_id AS "Value"
                """).ToListAsync(cancellationToken)).ToHashSet();
        foreach (var incoming in batch.Where(incoming => !inserted.Contains(incoming.Metadata.EventId)))
        {
            LogIgnored(logger, incoming.Metadata.EventName, incoming.Metadata.EventId, "it was processed before");
        }

        return distinct.Where(incoming => inserted.Contains(incoming.Metadata.EventId)).ToList();
    }

    /// <summary>Applies the events to the locked aggregates and the reviews' records, in memory; returns what to write.</summary>
    private async Task<BatchChanges> ApplyAsync(List<IncomingEvent> events, CancellationToken cancellationToken)
    {
        var aggregates = await LockAggregatesAsync(events.Select(incoming => ProductOf(incoming.Event)), cancellationToken);
        var reviewIds = events.Select(incoming => ReviewChangeOf(incoming.Event)).OfType<ReviewChange>()
            .Select(change => change.ReviewId).Distinct().ToArray();
        // Current: every change to a product's reviews happens under its aggregate's lock, which this batch holds.
        var reviews = await db.ReviewRatings.AsNoTracking().Where(review => reviewIds.Contains(review.ReviewId))
            .ToDictionaryAsync(review => review.ReviewId, cancellationToken);

        var changes = new BatchChanges();
        var lastChange = new Dictionary<long, IncomingEvent>();
        foreach (var incoming in events)
        {
            var aggregate = aggregates[ProductOf(incoming.Event)];
            if (aggregate.IsDeleted)
            {
                LogIgnored(logger, incoming.Metadata.EventName, incoming.Metadata.EventId, "its product is deleted");
                continue;
            }

            if (ReviewChangeOf(incoming.Event) is not { } change)
            {
                // Its reviews' records go after the writes; a rating computed earlier in the batch is not published.
                aggregate.MarkDeleted();
                changes.Aggregates.Add(aggregate);
                changes.DeletedProducts.Add(aggregate.ProductId);
                lastChange.Remove(aggregate.ProductId);
                LogProductDeleted(logger, aggregate.ProductId);
                continue;
            }

            if (ApplyReview(incoming, aggregate, reviews, change, changes))
            {
                changes.Aggregates.Add(aggregate);
                lastChange[aggregate.ProductId] = incoming;
            }
        }

        changes.RatingEvents.AddRange(lastChange.Select(last => OutboxMessage.Create(
            aggregates[last.Key].ToRatingUpdated(), raisedIn: last.Value.Activity)));
        return changes;
    }

    /// <summary>
    /// Writes a batch's changes with one statement per table. Set-based SQL rather than <c>SaveChanges</c>: EF Core
    /// writes row by row, with a parameter and a change-tracking entry per column, and that bookkeeping was most of
    /// what Rating allocated under load.
    /// </summary>
    private async Task SaveAsync(BatchChanges changes, CancellationToken cancellationToken)
    {
        if (changes.Reviews.Count > 0)
        {
            var reviews = changes.Reviews.Values;
            var reviewIds = reviews.Select(review => review.ReviewId).ToArray();
            var productIds = reviews.Select(review => review.ProductId).ToArray();
            var ratings = reviews.Select(review => review.Rating).ToArray();
            var versions = reviews.Select(review => review.ReviewVersion).ToArray();
            var deleted = reviews.Select(review => review.IsDeleted).ToArray();
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO review_ratings (review_id, product_id, rating, review_version, is_deleted)
                SELECT * FROM unnest({reviewIds}, {productIds}, {ratings}, {versions}, {deleted})
                ON CONFLICT (review_id) DO UPDATE
                SET rating = excluded.rating, review_version = excluded.review_version, is_deleted = excluded.is_deleted
                """, cancellationToken);
        }

        if (changes.Aggregates.Count > 0)
        {
            var aggregates = changes.Aggregates;
            var productIds = aggregates.Select(aggregate => aggregate.ProductId).ToArray();
            var counts = aggregates.Select(aggregate => aggregate.ReviewCount).ToArray();
            var sums = aggregates.Select(aggregate => aggregate.RatingSum).ToArray();
            var versions = aggregates.Select(aggregate => aggregate.Version).ToArray();
            var deleted = aggregates.Select(aggregate => aggregate.IsDeleted).ToArray();
            await db.Database.ExecuteSqlAsync($"""
                UPDATE product_rating_aggregates AS aggregate
                SET review_count = changed.review_count, rating_sum = changed.rating_sum, version = changed.version,
                    is_deleted = changed.is_deleted
                FROM unnest({productIds}, {counts}, {sums}, {versions}, {deleted})
                    AS changed(product_id, review_count, rating_sum, version, is_deleted)
                WHERE aggregate.product_id = changed.product_id
                """, cancellationToken);
        }

        await db.InsertOutboxEventsAsync(changes.RatingEvents, cancellationToken);
    }

    /// <summary>What a batch changed: the records to write and the events to enqueue.</summary>
    private sealed class BatchChanges
    {
        /// <summary>Review records added or changed, by review id.</summary>
        public Dictionary<long, ReviewRating> Reviews { get; } = [];

        public HashSet<ProductRatingAggregate> Aggregates { get; } = [];

        public List<long> DeletedProducts { get; } = [];

        public List<OutboxMessage> RatingEvents { get; } = [];
    }

    /// <returns>True when the product's aggregate changed.</returns>
    private bool ApplyReview(IncomingEvent incoming, ProductRatingAggregate aggregate, Dictionary<long, ReviewRating> reviews,
        ReviewChange change, BatchChanges changes)
    {
        var (reviewId, _, rating, deleted, version) = change;
        reviews.TryGetValue(reviewId, out var review);
        if (review is not null && review.ProductId != aggregate.ProductId)
        {
            // A review never moves to another product: applying this would corrupt two aggregates.
            throw new UnprocessableEventException(
                $"{incoming.Metadata.EventName} {incoming.Metadata.EventId} puts review {reviewId} under product {aggregate.ProductId}, but it belongs to product {review.ProductId}.");
        }

        if (review is not null && !review.IsOlderThan(version))
        {
            LogIgnored(logger, incoming.Metadata.EventName, incoming.Metadata.EventId, "a newer version of its review is already applied");
            return false;
        }

        // A review seen for the first time contributed nothing so far.
        var before = review?.Contribution;
        if (review is null)
        {
            review = new ReviewRating { ReviewId = reviewId, ProductId = aggregate.ProductId };
            reviews.Add(reviewId, review);
        }

        review.Apply(rating, deleted, version);
        changes.Reviews[reviewId] = review;
        return aggregate.Replace(before, review.Contribution);
    }

    /// <summary>The products' aggregate rows, created empty if missing, locked in product order until the transaction ends.</summary>
    private async Task<Dictionary<long, ProductRatingAggregate>> LockAggregatesAsync(IEnumerable<long> productIds, CancellationToken cancellationToken)
    {
        var ids = productIds.Distinct().Order().ToArray();
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO product_rating_aggregates (product_id, review_count, rating_sum, version, is_deleted)
            SELECT id, 0, 0, 0, FALSE FROM unnest({ids}) AS batch(id) ORDER BY id
            ON CONFLICT (product_id) DO NOTHING
            """, cancellationToken);
        var aggregates = await db.ProductRatingAggregates
            .FromSqlInterpolated($"SELECT * FROM product_rating_aggregates WHERE product_id = ANY({ids}) ORDER BY product_id FOR UPDATE")
            .AsNoTracking()
            .ToListAsync(cancellationToken);
        return aggregates.ToDictionary(aggregate => aggregate.ProductId);
    }

    /// <summary>A review event's content: the review's state after it, a deletion as <c>Deleted</c>.</summary>
    private readonly record struct ReviewChange(long ReviewId, long ProductId, int Rating, bool Deleted, long Version);

    /// <summary>The review change an event carries; null for <c>product-deleted</c>.</summary>
    private static ReviewChange? ReviewChangeOf(IIntegrationEvent @event) => @event switch
    {
        ReviewCreated created => new(created.ReviewId, created.ProductId, created.Rating, false, created.ReviewVersion),
        ReviewUpdated updated => new(updated.ReviewId, updated.ProductId, updated.Rating, false, updated.ReviewVersion),
        ReviewDeleted deleted => new(deleted.ReviewId, deleted.ProductId, deleted.Rating, true, deleted.ReviewVersion),
        _ => null,
    };

    private static long ProductOf(IIntegrationEvent @event) =>
        ReviewChangeOf(@event)?.ProductId ?? ((ProductDeleted)@event).ProductId;

    [LoggerMessage(Level = LogLevel.Debug, Message = "{EventName} {EventId} changes nothing: {Reason}.")]
    private static partial void LogIgnored(ILogger logger, string eventName, Guid eventId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Product {ProductId} is deleted; its rating records are removed.")]
    private static partial void LogProductDeleted(ILogger logger, long productId);
}
