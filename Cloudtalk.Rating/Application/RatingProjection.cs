using Cloudtalk.Common.Events;
using Cloudtalk.Common.Messaging;
using Cloudtalk.Common.Outbox;
using Cloudtalk.Rating.Domain;
using Cloudtalk.Rating.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

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
/// <item>An event that can never be applied (not Rating's, or out of range) is set apart before the transaction: the
/// rest of the batch is applied, then <see cref="UnprocessableEventException"/> names it, so the consumer dead-letters
/// it alone instead of handling the whole batch again one event at a time.</item>
/// </list>
/// A batch costs the same round trips as a single event (three: its reads, its writes, the commit), which is what makes a
/// busy queue cheap.
/// </summary>
public sealed partial class RatingProjection(RatingDbContext db, TimeProvider timeProvider, ILogger<RatingProjection> logger)
    : IIntegrationEventBatchHandler
{
    public async Task HandleAsync(IReadOnlyList<IncomingEvent> batch, CancellationToken cancellationToken)
    {
        var validated = ValidatedBatch.Of(batch, ProblemOf);
        if (validated.Accepted.Count > 0)
        {
            await ApplyAsync(validated.Accepted, cancellationToken);
        }

        // After the rest is committed: the consumer dead-letters only these, and handles nothing again.
        if (validated.Rejection() is { } rejection)
        {
            throw rejection;
        }
    }

    private async Task ApplyAsync(IReadOnlyList<IncomingEvent> batch, CancellationToken cancellationToken)
    {
        await db.Database.CreateExecutionStrategy().ExecuteAsync(async token =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(token);
            var state = await ReadAsync(batch, token);
            if (state.Fresh.Count > 0)
            {
                var changes = Apply(state);
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

    /// <summary>Why the event can never be applied (not Rating's, or out of range), or null if it can.</summary>
    private static string? ProblemOf(IncomingEvent incoming)
    {
        if (incoming.Event is not (ReviewCreated or ReviewUpdated or ReviewDeleted or ProductDeleted))
        {
            return $"{incoming.Metadata.EventName} {incoming.Metadata.EventId} is not an event Rating handles.";
        }

        var review = ReviewChangeOf(incoming.Event);
        return ProductOf(incoming.Event) <= 0 ||
            review is { } change && (change.Rating is < 1 or > 5 || change.ReviewId <= 0 || change.Version <= 0)
            ? $"{incoming.Metadata.EventName} {incoming.Metadata.EventId} is out of range ({incoming.Event})."
            : null;
    }

    /// <summary>
    /// Everything the batch reads, in one round trip (one command batch, each statement on a snapshot of its own, in
    /// this order): records the event ids, in id order so that two batches holding the same redelivered ids wait for
    /// each other instead of deadlocking; creates the missing aggregate rows and locks all of the batch's, in product
    /// order; reads the records of its reviews, current because every change to a product's reviews happens under its
    /// aggregate's lock, which this transaction now holds. In Npgsql directly, with the rows read by hand: EF Core sends
    /// one statement per round trip and cannot read the results of a command batch.
    /// </summary>
    private async Task<BatchState> ReadAsync(IReadOnlyList<IncomingEvent> batch, CancellationToken cancellationToken)
    {
        var distinct = batch.DistinctBy(incoming => incoming.Metadata.EventId).ToList();
        var productIds = distinct.Select(incoming => ProductOf(incoming.Event)).Distinct().Order().ToArray();
        var reviewIds = distinct.Select(incoming => ReviewChangeOf(incoming.Event)).OfType<ReviewChange>()
            .Select(change => change.ReviewId).Distinct().ToArray();
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await using var reads = new NpgsqlBatch(connection, (NpgsqlTransaction)db.Database.CurrentTransaction!.GetDbTransaction())
        {
            BatchCommands =
            {
                Command("""
                    INSERT INTO processed_events (event_id, event_name, processed_at)
                    SELECT id, name, $3 FROM unnest($1, $2) AS batch(id, name) ORDER BY id
                    ON CONFLICT (event_id) DO NOTHING
                    RETURNING event_id
                    """,
                    distinct.Select(incoming => incoming.Metadata.EventId).ToArray(),
                    distinct.Select(incoming => incoming.Metadata.EventName).ToArray(),
                    timeProvider.GetUtcNow()),
                Command("""
                    INSERT INTO product_rating_aggregates (product_id, review_count, rating_sum, version, is_deleted)
                    SELECT id, 0, 0, 0, FALSE FROM unnest($1) AS batch(id) ORDER BY id
                    ON CONFLICT (product_id) DO NOTHING
                    """, productIds),
                Command("""
                    SELECT product_id, review_count, rating_sum, version, is_deleted FROM product_rating_aggregates
                    WHERE product_id = ANY($1) ORDER BY product_id FOR UPDATE
                    """, productIds),
                Command("""
                    SELECT review_id, product_id, rating, review_version, is_deleted FROM review_ratings
                    WHERE review_id = ANY($1)
                    """, reviewIds),
            },
        };
        await using var reader = await reads.ExecuteReaderAsync(cancellationToken);
        var inserted = new HashSet<Guid>();
        while (await reader.ReadAsync(cancellationToken))
        {
            inserted.Add(reader.GetGuid(0));
        }

        // The aggregates' insert returns no rows: the next result is their lock.
        await reader.NextResultAsync(cancellationToken);
        var aggregates = await ReadByFirstColumnAsync(reader, row => new ProductRatingAggregate
        {
            ProductId = row.GetInt64(0),
            ReviewCount = row.GetInt32(1),
            RatingSum = row.GetInt64(2),
            Version = row.GetInt64(3),
            IsDeleted = row.GetBoolean(4),
        }, cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        var reviews = await ReadByFirstColumnAsync(reader, row => new ReviewRating
        {
            ReviewId = row.GetInt64(0),
            ProductId = row.GetInt64(1),
            Rating = row.GetInt32(2),
            ReviewVersion = row.GetInt64(3),
            IsDeleted = row.GetBoolean(4),
        }, cancellationToken);

        foreach (var incoming in batch.Where(incoming => !inserted.Contains(incoming.Metadata.EventId)))
        {
            LogIgnored(logger, incoming.Metadata.EventName, incoming.Metadata.EventId, "it was processed before");
        }

        return new BatchState(distinct.Where(incoming => inserted.Contains(incoming.Metadata.EventId)).ToList(), aggregates, reviews);
    }

    /// <summary>The rows of the reader's current result, by their first column (a <c>bigint</c> id).</summary>
    private static async Task<Dictionary<long, T>> ReadByFirstColumnAsync<T>(
        NpgsqlDataReader reader, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken)
    {
        var rows = new Dictionary<long, T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(reader.GetInt64(0), read(reader));
        }

        return rows;
    }

    /// <summary>A statement of a command batch, its parameters given by position (<c>$1</c>, <c>$2</c>, ...).</summary>
    private static NpgsqlBatchCommand Command(string sql, params object[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return command;
    }

    /// <summary>What the batch read: its events not applied before (first copies, in delivery order), its locked aggregates, its reviews' records.</summary>
    private sealed record BatchState(
        List<IncomingEvent> Fresh, Dictionary<long, ProductRatingAggregate> Aggregates, Dictionary<long, ReviewRating> Reviews);

    /// <summary>Applies the fresh events to the locked aggregates and the reviews' records, in memory; returns what to write.</summary>
    private BatchChanges Apply(BatchState state)
    {
        var (events, aggregates, reviews) = state;
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
    /// Writes a batch's changes, all tables in one statement. Set-based SQL rather than <c>SaveChanges</c>: EF Core
    /// writes row by row, with a parameter and a change-tracking entry per column, and that bookkeeping was most of
    /// what Rating allocated under load.
    /// </summary>
    private Task SaveAsync(BatchChanges changes, CancellationToken cancellationToken)
    {
        List<FormattableString> statements = [];
        if (changes.Reviews.Count > 0)
        {
            var reviews = changes.Reviews.Values;
            var reviewIds = reviews.Select(review => review.ReviewId).ToArray();
            var productIds = reviews.Select(review => review.ProductId).ToArray();
            var ratings = reviews.Select(review => review.Rating).ToArray();
            var versions = reviews.Select(review => review.ReviewVersion).ToArray();
            var deleted = reviews.Select(review => review.IsDeleted).ToArray();
            statements.Add($"""
                INSERT INTO review_ratings (review_id, product_id, rating, review_version, is_deleted)
                SELECT * FROM unnest({reviewIds}, {productIds}, {ratings}, {versions}, {deleted})
                ON CONFLICT (review_id) DO UPDATE
                SET rating = excluded.rating, review_version = excluded.review_version, is_deleted = excluded.is_deleted
                """);
        }

        if (changes.Aggregates.Count > 0)
        {
            var aggregates = changes.Aggregates;
            var productIds = aggregates.Select(aggregate => aggregate.ProductId).ToArray();
            var counts = aggregates.Select(aggregate => aggregate.ReviewCount).ToArray();
            var sums = aggregates.Select(aggregate => aggregate.RatingSum).ToArray();
            var versions = aggregates.Select(aggregate => aggregate.Version).ToArray();
            var deleted = aggregates.Select(aggregate => aggregate.IsDeleted).ToArray();
            statements.Add($"""
                UPDATE product_rating_aggregates AS aggregate
                SET review_count = changed.review_count, rating_sum = changed.rating_sum, version = changed.version,
                    is_deleted = changed.is_deleted
                FROM unnest({productIds}, {counts}, {sums}, {versions}, {deleted})
                    AS changed(product_id, review_count, rating_sum, version, is_deleted)
                WHERE aggregate.product_id = changed.product_id
                """);
        }

        // One statement for all three tables: one round trip.
        return db.ExecuteWithOutboxEventsAsync(statements, changes.RatingEvents, cancellationToken);
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
