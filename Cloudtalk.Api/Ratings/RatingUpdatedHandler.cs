using Cloudtalk.Api.Infrastructure;
using Cloudtalk.Api.Products;
using Cloudtalk.Common.Caching;
using Cloudtalk.Common.Events;
using Cloudtalk.Common.Messaging;
using Microsoft.EntityFrameworkCore;

namespace Cloudtalk.Api.Ratings;

/// <summary>
/// Applies a batch of <c>rating-updated</c> from Rating to the products the Api serves:
/// <list type="bullet">
/// <item>Newer only: one <c>UPDATE ... WHERE rating_version &lt; version</c> for the whole batch, so a duplicate, a
/// redelivery or an older rating that arrives after a newer one (competing Rating replicas publish out of order)
/// changes nothing. The version check is the idempotency: no processed-event table is needed. Of several ratings
/// of one product in the batch only the newest is applied.</item>
/// <item>The statement first locks the batch's products in id order, so concurrent batches (other workers, other
/// replicas) never deadlock on each other. <c>FOR NO KEY UPDATE</c>, the lock the UPDATE takes anyway: it leaves
/// the <c>KEY SHARE</c> locks of review inserts (their foreign-key checks) alone. <c>FOR UPDATE</c> would make a batch
/// of review inserts, holding several of those, wait for this statement while it waits for them: a deadlock, found
/// by PostgreSQL only after its <c>deadlock_timeout</c> (1 s).</item>
/// <item><c>updated_at</c> is left alone: it tells a client when the product itself was last edited, and a new
/// rating is not an edit of the product (the original service did not touch it either).</item>
/// <item>A rating for a product that does not exist is told apart by the product id sequence. An id the sequence
/// has handed out belonged to a product that was deleted while its rating was in flight (normal: reviews and the
/// product-deleted event race through Rating): the event is acknowledged and ignored, so that the dead-letter queue
/// only ever holds what needs a look. An id it never handed out is an unknown product, which the contract
/// dead-letters: <see cref="UnprocessableEventException"/> naming those events, after the rest of the batch has
/// been applied, so the consumer dead-letters them alone and acknowledges the rest without handling it again. An
/// out-of-range rating is set apart before anything is applied and named in the same exception.</item>
/// <item>After a change the list pages are invalidated and each changed product's cached answer is replaced by the
/// updated row the statement returned, so the next read shows the new rating at once and, on a busy product, still
/// finds it in the cache instead of going to the database. The replacement is stored only where no other write
/// invalidated the product since the versions were read before the statement (<see cref="CacheAside.InvalidateAndReplaceAsync"/>);
/// elsewhere the product is only invalidated.</item>
/// </list>
/// </summary>
public sealed partial class RatingUpdatedHandler(ApiDbContext db, CacheAside cache, ILogger<RatingUpdatedHandler> logger)
    : IIntegrationEventBatchHandler
{
    public async Task HandleAsync(IReadOnlyList<IncomingEvent> batch, CancellationToken cancellationToken)
    {
        var validated = ValidatedBatch.Of(batch, ProblemOf);
        var unknown = validated.Accepted.Count > 0 ? await ApplyAsync(validated.Accepted, cancellationToken) : null;
        // After the rest is committed: the consumer dead-letters only these, and handles nothing again.
        if (validated.Rejection(unknown) is { } rejection)
        {
            throw rejection;
        }
    }

    /// <returns>The exception naming the events about products that never existed, if any.</returns>
    private async Task<UnprocessableEventException?> ApplyAsync(IReadOnlyList<IncomingEvent> batch, CancellationToken cancellationToken)
    {
        var newest = batch.Select(incoming => (RatingUpdated)incoming.Event)
            .GroupBy(rating => rating.ProductId)
            .Select(ratings => ratings.MaxBy(rating => rating.Version)!)
            .OrderBy(rating => rating.ProductId)
            .ToArray();
        var ids = newest.Select(rating => rating.ProductId).ToArray();
        var averages = newest.Select(rating => rating.AverageRating).ToArray();
        var counts = newest.Select(rating => rating.ReviewCount).ToArray();
        var versions = newest.Select(rating => rating.Version).ToArray();
        // Before the statement: the versions its results may replace (see InvalidateAndReplaceAsync).
        var seen = await cache.ReadVersionsAsync(ids.Select(ProductCacheScopes.Item).ToArray());
        // Its own transaction: the rows it returns are committed when the replacements are stored below.
        var changed = await db.Products.FromSql($"""
            WITH locked AS MATERIALIZED (SELECT id FROM products WHERE id = ANY({ids}) ORDER BY id FOR NO KEY UPDATE)
            UPDATE products AS product
            SET average_rating = rating.average, review_count = rating.count, rating_version = rating.version
            FROM unnest({ids}, {averages}, {counts}, {versions}) AS rating(id, average, count, version)
            WHERE product.id = rating.id AND product.id IN (SELECT id FROM locked) AND product.rating_version < rating.version
            RETURNING product.*
            """).AsNoTracking().ToListAsync(cancellationToken);

        var replacements = changed
            .Select(product => new CacheReplacement(ProductCacheScopes.Item(product.Id), ProductRepository.ItemEntry, ProductResponse.From(product)))
            .ToList();
        var changedIds = changed.Select(product => product.Id).ToHashSet();
        var toInvalidate = new HashSet<long>();
        var gone = new List<RatingUpdated>();
        var unchanged = newest.Where(rating => !changedIds.Contains(rating.ProductId)).ToArray();
        if (unchanged.Length > 0)
        {
            var unchangedIds = unchanged.Select(rating => rating.ProductId).ToArray();
            var held = await db.Products.AsNoTracking()
                .Where(product => unchangedIds.Contains(product.Id))
                .ToDictionaryAsync(product => product.Id, product => product.RatingVersion, cancellationToken);
            foreach (var rating in unchanged)
            {
                if (!held.TryGetValue(rating.ProductId, out var heldVersion))
                {
                    gone.Add(rating);
                }
                else if (heldVersion == rating.Version)
                {
                    // A redelivery of the rating we hold: this process (or one that crashed) may have committed it
                    // without getting to the invalidation, so invalidate again; it is cheap and never wrong.
                    toInvalidate.Add(rating.ProductId);
                }
                else
                {
                    LogStale(logger, rating.ProductId, rating.Version, heldVersion);
                }
            }
        }

        if (replacements.Count > 0 || toInvalidate.Count > 0)
        {
            await cache.InvalidateAndReplaceAsync(seen, replacements, [.. toInvalidate.Select(ProductCacheScopes.Item), ProductCacheScopes.List]);
        }

        return gone.Count > 0 ? await SortOutMissingProductsAsync(batch, gone, cancellationToken) : null;
    }

    /// <summary>Ignores ratings of deleted products; names the events about a product id that was never handed out.</summary>
    private async Task<UnprocessableEventException?> SortOutMissingProductsAsync(IReadOnlyList<IncomingEvent> batch, List<RatingUpdated> gone, CancellationToken cancellationToken)
    {
        // NULL until the first product is created.
        var lastIssued = await db.Database
            .SqlQuery<long?>($"SELECT pg_sequence_last_value(pg_get_serial_sequence('products', 'id')::regclass) AS \"Value\"")
            .SingleAsync(cancellationToken);
        foreach (var rating in gone.Where(rating => rating.ProductId <= lastIssued))
        {
            LogProductGone(logger, rating.ProductId, rating.Version);
        }

        var unknown = gone.Where(rating => lastIssued is null || rating.ProductId > lastIssued)
            .Select(rating => rating.ProductId)
            .ToHashSet();
        if (unknown.Count > 0)
        {
            // Every event about those products, not only the newest that was looked at.
            var eventIds = batch.Where(incoming => unknown.Contains(((RatingUpdated)incoming.Event).ProductId))
                .Select(incoming => incoming.Metadata.EventId)
                .ToArray();
            return new UnprocessableEventException(
                $"rating-updated for {(unknown.Count == 1 ? "product" : "products")} {string.Join(", ", unknown.Order())}, which never existed (the last product id handed out is {lastIssued?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}).",
                eventIds);
        }

        return null;
    }

    /// <summary>Why the event can never be applied (not a rating, or out of range), or null if it can.</summary>
    private static string? ProblemOf(IncomingEvent incoming) =>
        incoming.Event is not RatingUpdated rating ||
        rating.ProductId <= 0 || rating.ReviewCount < 0 || rating.Version <= 0 ||
        !double.IsFinite(rating.AverageRating) || rating.AverageRating is < 0 or > 5 ||
        (rating.ReviewCount == 0 && rating.AverageRating != 0) ||
        (rating.ReviewCount > 0 && rating.AverageRating < 1)
            ? $"{incoming.Metadata.EventName} {incoming.Metadata.EventId} is out of range ({incoming.Event})."
            : null;

    [LoggerMessage(Level = LogLevel.Debug,
        Message = "rating-updated for product {ProductId} (version {Version}) ignored: the product was deleted")]
    private static partial void LogProductGone(ILogger logger, long productId, long version);

    [LoggerMessage(Level = LogLevel.Debug,
        Message = "rating-updated for product {ProductId} (version {Version}) ignored: version {HeldVersion} is already applied")]
    private static partial void LogStale(ILogger logger, long productId, long version, long heldVersion);
}
