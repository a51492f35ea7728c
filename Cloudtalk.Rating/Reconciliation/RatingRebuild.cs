using Cloudtalk.Common.Outbox;
using Cloudtalk.Common.Reconciliation;
using Cloudtalk.Rating.Domain;
using Cloudtalk.Rating.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Cloudtalk.Rating.Reconciliation;

/// <summary>
/// Recomputes every product's rating from scratch out of the Api's reviews and republishes it: the repair for
/// whatever the event flow could not fix by itself (a lost event, a restored backup, a hand-edited row). It runs
/// while reviews are being written, range of product ids by range, each range in one transaction:
/// <list type="number">
/// <item>Lock the aggregates Rating holds in the range (<c>FOR UPDATE</c>). No event of those products can be
/// applied until the commit, so every review Rating holds for them was committed in the Api before the read that
/// follows: a review the read does not return is deleted for good (ids are never reused).</item>
/// <item>Read the range from the Api (one snapshot), then create and lock the aggregates of products Rating did not
/// know. For those, events may have been applied after the read, so only records older than the Api's are
/// corrected and nothing is removed.</item>
/// <item>Make the review records match the Api (a review's version decides which side is newer), count and sum
/// them, and publish <c>rating-updated</c> for every product through the outbox, with a version above the one the
/// Api serves, so that the Api applies it even when its own copy is ahead of Rating's.</item>
/// </list>
/// A failure leaves the committed ranges rebuilt and the rest as it was; running it again is always safe.
/// </summary>
public sealed partial class RatingRebuild(RatingDbContext db, RatingSourceClient source, ILogger<RatingRebuild> logger)
{
    /// <summary>Product ids per transaction: how long event handlers of those products wait for a rebuild.</summary>
    public const long RangeWidth = 500;

    /// <summary>
    /// Rebuilds take the ranges one at a time (<c>pg_advisory_xact_lock</c>): two rebuilds at once would each lock
    /// aggregates in two steps and could deadlock each other.
    /// </summary>
    private const long RebuildLockKey = 0x526174696E67; // "Rating"

    public async Task<RatingRebuildReport> RunAsync(CancellationToken cancellationToken)
    {
        var report = new RatingRebuildReport();
        long? next = 1;
        while (next is { } first)
        {
            var through = first - 1 + RangeWidth;
            var nextServed = await RebuildRangeAsync(first - 1, through, report, cancellationToken);
            // The next range starts at the next product either side knows (Rating may hold products the Api lost,
            // and ids can be far apart), so gaps cost nothing.
            var nextHeld = await db.ProductRatingAggregates
                .Where(aggregate => aggregate.ProductId > through)
                .MinAsync(aggregate => (long?)aggregate.ProductId, cancellationToken);
            next = new[] { nextServed, nextHeld }.Min();
        }

        LogRebuilt(logger, report.ProductsRepublished, report.ProductsCorrected, report.ReviewsCorrected, report.ReviewsRemoved);
        return report;
    }

    /// <returns>The Api's lowest product id above the range, as of the range's read; null when there is none.</returns>
    private Task<long?> RebuildRangeAsync(long after, long through, RatingRebuildReport report, CancellationToken cancellationToken) =>
        db.Database.CreateExecutionStrategy().ExecuteAsync(async token =>
        {
            db.ChangeTracker.Clear();
            var range = new RatingRebuildReport();
            await using var transaction = await db.Database.BeginTransactionAsync(token);
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({RebuildLockKey})", token);

            var lockedBeforeRead = await db.ProductRatingAggregates
                .FromSql($"SELECT * FROM product_rating_aggregates WHERE product_id > {after} AND product_id <= {through} ORDER BY product_id FOR UPDATE")
                .ToListAsync(token);
            var served = await source.GetRangeAsync(after, through, token);
            var heldIds = lockedBeforeRead.Select(aggregate => aggregate.ProductId).ToHashSet();
            var lockedAfterRead = await CreateAndLockAsync(
                served.Products.Select(product => product.ProductId).Where(id => !heldIds.Contains(id)).ToArray(), token);

            var records = (await db.ReviewRatings
                    .Where(review => review.ProductId > after && review.ProductId <= through)
                    .ToListAsync(token))
                .ToLookup(review => review.ProductId);
            var servedById = served.Products.ToDictionary(product => product.ProductId);
            foreach (var aggregate in lockedBeforeRead)
            {
                Rebuild(aggregate, servedById.GetValueOrDefault(aggregate.ProductId), [.. records[aggregate.ProductId]],
                    recordsPrecedeRead: true, range);
            }

            foreach (var aggregate in lockedAfterRead)
            {
                Rebuild(aggregate, servedById[aggregate.ProductId], [.. records[aggregate.ProductId]],
                    recordsPrecedeRead: false, range);
            }

            await db.SaveChangesAsync(token);
            await transaction.CommitAsync(token);
            report.Add(range);
            return served.NextProductId;
        }, cancellationToken);

    /// <summary>The aggregates of products Rating has not seen yet, created empty and locked.</summary>
    private async Task<List<ProductRatingAggregate>> CreateAndLockAsync(long[] productIds, CancellationToken cancellationToken)
    {
        if (productIds.Length == 0)
        {
            return [];
        }

        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO product_rating_aggregates (product_id, review_count, rating_sum, version, is_deleted)
            SELECT id, 0, 0, 0, FALSE FROM unnest({productIds}) AS id
            ON CONFLICT (product_id) DO NOTHING
            """, cancellationToken);
        return await db.ProductRatingAggregates
            .FromSql($"SELECT * FROM product_rating_aggregates WHERE product_id = ANY({productIds}) ORDER BY product_id FOR UPDATE")
            .ToListAsync(cancellationToken);
    }

    /// <param name="aggregate">The product's aggregate, locked.</param>
    /// <param name="served">What the Api holds for the product; null when it does not have it.</param>
    /// <param name="records">Rating's review records of the product.</param>
    /// <param name="recordsPrecedeRead">Whether the aggregate was locked before the Api was read: then the Api is
    /// the whole truth about these records; otherwise a record may be newer than the read.</param>
    /// <param name="report">The range's counts.</param>
    private void Rebuild(ProductRatingAggregate aggregate, ProductRatingSource? served, List<ReviewRating> records,
        bool recordsPrecedeRead, RatingRebuildReport report)
    {
        if (aggregate.IsDeleted)
        {
            // Rating only hears of a deletion after the Api committed it, so the Api cannot still serve a product whose
            // marker was there before the read. (One locked after the read may have been deleted since: no news.)
            if (served is not null && recordsPrecedeRead)
            {
                LogDeletedButServed(logger, aggregate.ProductId);
            }

            return;
        }

        if (served is null)
        {
            // Only reachable for an aggregate locked before the read: the product was deleted and its event lost.
            report.ProductRemoved(records.Count(record => !record.IsDeleted));
            db.ReviewRatings.RemoveRange(records);
            aggregate.MarkDeleted();
            return;
        }

        var unmatched = records.ToDictionary(record => record.ReviewId);
        foreach (var review in served.Reviews)
        {
            report.ReviewChecked(corrected: Correct(aggregate.ProductId, review, unmatched, records, recordsPrecedeRead));
        }

        if (recordsPrecedeRead)
        {
            foreach (var gone in unmatched.Values.Where(record => record.ReviewVersion != ReviewRating.GoneForGoodVersion))
            {
                if (!gone.IsDeleted)
                {
                    report.ReviewRemoved();
                }

                gone.MarkGoneForGood();
            }
        }

        if (served.RatingVersion == long.MaxValue)
        {
            // Nothing can be published above it; the check-ratings report still shows the product if it is wrong.
            LogSkipped(logger, aggregate.ProductId);
            report.ProductSkipped();
            return;
        }

        var live = records.Where(record => !record.IsDeleted).ToList();
        report.Republished(corrected: aggregate.Rebuild(live.Count, live.Sum(record => (long)record.Rating), served.RatingVersion));
        db.AddOutboxEvent(aggregate.ToRatingUpdated());
    }

    /// <summary>Makes the review's record match the Api where the Api is newer (or, when it is the whole truth, differs).</summary>
    /// <returns>True when the record was added or changed.</returns>
    private bool Correct(long productId, ReviewRatingSource review, Dictionary<long, ReviewRating> unmatched,
        List<ReviewRating> records, bool recordsPrecedeRead)
    {
        if (!unmatched.Remove(review.ReviewId, out var record))
        {
            record = new ReviewRating { ReviewId = review.ReviewId, ProductId = productId };
            db.ReviewRatings.Add(record);
            records.Add(record);
            record.Apply(review.Rating, deleted: false, review.Version);
            return true;
        }

        var matches = record.ReviewVersion == review.Version && record.Rating == review.Rating && !record.IsDeleted;
        var apiIsNewer = record.IsOlderThan(review.Version);
        if (matches || !(apiIsNewer || recordsPrecedeRead))
        {
            return false;
        }

        record.Apply(review.Rating, deleted: false, review.Version);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Rating rebuild: {Products} products republished, {ProductsCorrected} corrected, {ReviewsCorrected} review records corrected, {ReviewsRemoved} removed.")]
    private static partial void LogRebuilt(ILogger logger, int products, int productsCorrected, int reviewsCorrected, int reviewsRemoved);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Product {ProductId} is marked deleted in Rating but the Api still serves it; left as it is.")]
    private static partial void LogDeletedButServed(ILogger logger, long productId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Product {ProductId} is served at the highest rating version; no rebuilt rating can replace it.")]
    private static partial void LogSkipped(ILogger logger, long productId);
}
