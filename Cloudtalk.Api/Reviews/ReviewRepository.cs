using System.Diagnostics;
using Cloudtalk.Api.Idempotency;
using Cloudtalk.Api.Infrastructure;
using Cloudtalk.Api.Paging;
using Cloudtalk.Api.Products;
using Cloudtalk.Common.Caching;
using Cloudtalk.Common.Events;
using Cloudtalk.Common.Outbox;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Cloudtalk.Api.Reviews;

/// <summary>
/// Reviews in PostgreSQL. Every write runs in one transaction that also adds its integration event to
/// the outbox, so the change and its event commit together (a 2xx means both are durable); the relay publishes
/// the event after the commit. The cache is invalidated after the commit.
/// </summary>
public sealed class ReviewRepository(
    ApiDbContext db, CacheAside cache, TimeProvider time, ReviewCreationBatcher creations, ReviewIdBlocks ids)
{
    public async Task<ReviewResponse?> GetAsync(long id, CancellationToken cancellationToken) =>
        await db.Reviews.AsNoTracking().Where(r => r.Id == id).Select(r => ReviewResponse.From(r))
            .FirstOrDefaultAsync(cancellationToken);

    /// <summary>A page of the product's reviews, newest first; null if there is no such product.</summary>
    public Task<PagedList<ReviewResponse>?> ListForProductAsync(
        long productId, PageRequest page, CancellationToken cancellationToken) =>
        cache.WithCache(ProductCacheScopes.Reviews(productId), ProductRepository.PageEntry(page), async ct =>
        {
            if (!await db.Products.AnyAsync(p => p.Id == productId, ct))
            {
                return null;
            }

            var reviews = await db.Reviews.AsNoTracking()
                .Where(r => r.ProductId == productId)
                .OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id)
                .ToPagedListAsync(page, ct);
            return reviews.Map(ReviewResponse.From);
        }, cancellationToken);

    /// <summary>
    /// Creates a review. Concurrent creates share one transaction (<see cref="ReviewCreationBatcher"/>); the answer
    /// comes after that transaction committed, as it would alone. A create with an <c>Idempotency-Key</c> runs in a
    /// transaction of its own that also stores its answer under the key; if the key holds a prior answer, nothing is
    /// written and that answer comes back (<see cref="ReviewWriteStatus.AnsweredBefore"/>).
    /// </summary>
    public async Task<ReviewWriteResult> CreateAsync(ReviewInput input, IdempotentRequest? idempotency, CancellationToken cancellationToken)
    {
        if (idempotency is null)
        {
            return await creations.WriteAsync(new NewReview(NewReviewOf(input), Activity.Current), cancellationToken);
        }

        return await db.CreateOnceAsync(idempotency, time,
            // Alone, not in a shared batch: its transaction also stores the answer under the key.
            async () => (await InsertBatchAsync([new NewReview(NewReviewOf(input), Activity.Current, idempotency)], cancellationToken))[0],
            prior => new ReviewWriteResult(ReviewWriteStatus.AnsweredBefore, Prior: prior), cancellationToken);
    }

    private Review NewReviewOf(ReviewInput input)
    {
        var now = time.UtcNow();
        return new Review
        {
            ProductId = input.ProductId.Value,
            FirstName = input.FirstName.Value,
            LastName = input.LastName.Or(null),
            ReviewText = input.ReviewText.Or(null),
            Rating = input.Rating.Value,
            Version = 1,
            CreatedAt = now,
            UpdatedAt = now,
        };
    }

    /// <summary>
    /// Inserts the reviews of a batch of creates in one transaction and answers each, in order: created, or "product
    /// not found". A review of a missing product fails the whole transaction (a foreign-key violation), so its create
    /// is answered on its own and the others are written again without it. Called by
    /// <see cref="ReviewCreationBatcher"/>.
    /// </summary>
    public async Task<IReadOnlyList<ReviewWriteResult>> InsertBatchAsync(
        IReadOnlyList<NewReview> batch, CancellationToken cancellationToken)
    {
        var results = new ReviewWriteResult?[batch.Count];
        var toWrite = Enumerable.Range(0, batch.Count).ToList();
        while (toWrite.Count > 0)
        {
            try
            {
                await InsertAsync(toWrite.ConvertAll(i => batch[i]), cancellationToken);
                break;
            }
            catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.ForeignKeyViolation)
            {
                // Products never come back once deleted, so the ones missing now made the insert fail.
                var productIds = toWrite.Select(i => batch[i].Review.ProductId).Distinct().ToList();
                var existing = await db.Products.Where(p => productIds.Contains(p.Id)).Select(p => p.Id)
                    .ToHashSetAsync(cancellationToken);
                var missing = toWrite.Where(i => !existing.Contains(batch[i].Review.ProductId)).ToList();
                if (missing.Count == 0)
                {
                    throw;
                }

                foreach (var i in missing)
                {
                    results[i] = new ReviewWriteResult(ReviewWriteStatus.ProductNotFound);
                }

                toWrite.RemoveAll(missing.Contains);
            }
        }

        await cache.InvalidateAsync(toWrite.Select(i => ProductCacheScopes.Reviews(batch[i].Review.ProductId)).Distinct().ToList());
        foreach (var i in toWrite)
        {
            results[i] = new ReviewWriteResult(ReviewWriteStatus.Done, ReviewResponse.From(batch[i].Review));
        }

        return results!;
    }

    /// <summary>
    /// Inserts the reviews and their review-created outbox rows, all or none. Written in SQL rather than through
    /// <c>SaveChanges</c>: EF Core inserts row by row, and with batches of dozens of reviews its per-row, per-column
    /// bookkeeping was the Api's largest cost (half of what it allocated). Without an <c>Idempotency-Key</c> both
    /// inserts are one statement that commits on its own: one round trip for the whole batch, ids included
    /// (<see cref="ReviewIdBlocks"/>).
    /// </summary>
    private async Task InsertAsync(List<NewReview> writes, CancellationToken cancellationToken)
    {
        List<OutboxMessage> events = [];
        var keyed = writes.Where(write => write.Idempotency is not null).ToList();
        // Everything that talks to PostgreSQL runs under the retrying strategy, the id draw included: after a server
        // restart the first use of a pooled connection fails, and that must be retried, not answered 500.
        var strategy = db.Database.CreateExecutionStrategy();
        // A lost commit answer: the rows commit together, so the first event's row tells whether the commit happened,
        // and a retry neither inserts the reviews twice nor fails on its own earlier inserts.
        Func<CancellationToken, Task<bool>> committed = ct => db.IsOutboxEventCommittedAsync(events.FirstOrDefault()?.Id, ct);
        if (keyed.Count == 0)
        {
            await strategy.ExecuteAsync(writes,
                async (_, _, ct) =>
                {
                    await PrepareAsync(ct);
                    await db.ExecuteWithOutboxEventsAsync([InsertReviews(writes)], events, ct);
                    return true;
                },
                async (_, _, ct) => new ExecutionResult<bool>(await committed(ct), true),
                cancellationToken);
            return;
        }

        await strategy.ExecuteInTransactionAsync(async ct =>
        {
            await PrepareAsync(ct);
            // A keyed create is alone in its transaction: its answer is stored before its row, so a concurrent request
            // with the same key waits here for this commit, then answers from what this one stored.
            foreach (var write in keyed)
            {
                await db.StoreAnswerAsync(write.Idempotency!, ReviewsApi.Location(write.Review.Id),
                    ReviewResponse.From(write.Review), time.GetUtcNow(), ct);
            }

            await db.ExecuteWithOutboxEventsAsync([InsertReviews(writes)], events, ct);
        }, committed, cancellationToken);

        async Task PrepareAsync(CancellationToken ct)
        {
            if (events.Count == 0)
            {
                // Ids first, so that each event can carry its review's id; an id once given is kept.
                await ids.AssignAsync(db, writes.ConvertAll(write => write.Review), ct);
                events = writes.ConvertAll(write => OutboxMessage.Create(
                    new ReviewCreated(write.Review.Id, write.Review.ProductId, write.Review.Rating, write.Review.Version),
                    raisedIn: write.RaisedIn));
            }
        }
    }

    /// <summary>
    /// One insert for all the reviews. No read of the products first: each row's foreign-key check takes the KEY SHARE
    /// lock on its product (a concurrent delete waits for this commit, then takes the reviews with it), and a missing
    /// product is a foreign-key violation.
    /// </summary>
    private static FormattableString InsertReviews(List<NewReview> writes)
    {
        var reviews = writes.ConvertAll(write => write.Review);
        var ids = reviews.Select(review => review.Id).ToArray();
        var productIds = reviews.Select(review => review.ProductId).ToArray();
        var firstNames = reviews.Select(review => review.FirstName).ToArray();
        var lastNames = reviews.Select(review => review.LastName).ToArray();
        var texts = reviews.Select(review => review.ReviewText).ToArray();
        var ratings = reviews.Select(review => review.Rating).ToArray();
        var versions = reviews.Select(review => review.Version).ToArray();
        var createdAt = reviews.Select(review => review.CreatedAt).ToArray();
        var updatedAt = reviews.Select(review => review.UpdatedAt).ToArray();
        return $"""
            INSERT INTO reviews (id, product_id, first_name, last_name, review_text, rating, review_version, created_at, updated_at)
            SELECT * FROM unnest({ids}, {productIds}, {firstNames}, {lastNames}, {texts}, {ratings}, {versions}, {createdAt}, {updatedAt})
            """;
    }

    /// <summary>Applies the fields that were sent; a different <c>productId</c> is refused.</summary>
    public async Task<ReviewWriteResult> UpdateAsync(long id, ReviewInput input, CancellationToken cancellationToken)
    {
        long productId = 0;
        Guid? updated = null;
        var result = await db.Database.CreateExecutionStrategy().ExecuteInTransactionAsync(async ct =>
        {
            db.ChangeTracker.Clear();
            updated = null;
            // Row lock: concurrent writes of one review apply one after the other, each knowing the rating before it.
            var review = (await db.Reviews
                .FromSql($"SELECT * FROM reviews WHERE id = {id} FOR UPDATE")
                .ToListAsync(ct)).SingleOrDefault();
            if (review is null)
            {
                return new ReviewWriteResult(ReviewWriteStatus.ReviewNotFound);
            }

            if (input.ProductId.HasValue && input.ProductId.Value != review.ProductId)
            {
                return new ReviewWriteResult(ReviewWriteStatus.ProductIdChanged);
            }

            productId = review.ProductId;
            var previousRating = review.Rating;
            review.FirstName = input.FirstName.Or(review.FirstName);
            review.LastName = input.LastName.Or(review.LastName);
            review.ReviewText = input.ReviewText.Or(review.ReviewText);
            review.Rating = input.Rating.Or(review.Rating);
            review.UpdatedAt = time.UtcNow();
            // Every update counts, even one that keeps the rating: the row lock above makes the versions of one
            // review strictly increasing in commit order.
            review.Version++;
            updated = db.AddOutboxEvent(new ReviewUpdated(review.Id, review.ProductId, review.Rating, previousRating, review.Version)).Id;
            await db.SaveChangesAsync(ct);
            return new ReviewWriteResult(ReviewWriteStatus.Done, ReviewResponse.From(review));
        },
        // A lost commit answer: this attempt's event row tells whether it committed (else it runs again).
        ct => db.IsOutboxEventCommittedAsync(updated, ct),
        cancellationToken);

        if (result.Status == ReviewWriteStatus.Done)
        {
            await cache.InvalidateAsync(ProductCacheScopes.Reviews(productId));
        }

        return result;
    }

    public async Task<bool> DeleteAsync(long id, CancellationToken cancellationToken)
    {
        Guid? deletedEvent = null;
        var deleted = await db.Database.CreateExecutionStrategy().ExecuteInTransactionAsync(async ct =>
        {
            db.ChangeTracker.Clear();
            deletedEvent = null;
            // Of concurrent deletes, the first locks the row; the others wait, then find it gone (404).
            var review = (await db.Reviews
                .FromSql($"SELECT * FROM reviews WHERE id = {id} FOR UPDATE")
                .ToListAsync(ct)).SingleOrDefault();
            if (review is null)
            {
                return null;
            }

            db.Reviews.Remove(review);
            // last + 1: the delete is newer than every update of the review, whatever order Rating gets them in.
            deletedEvent = db.AddOutboxEvent(new ReviewDeleted(review.Id, review.ProductId, review.Rating, review.Version + 1)).Id;
            await db.SaveChangesAsync(ct);
            return review;
        },
        // A lost commit answer: without this check the retry would find the review gone and answer 404.
        ct => db.IsOutboxEventCommittedAsync(deletedEvent, ct),
        cancellationToken);

        if (deleted is not null)
        {
            await cache.InvalidateAsync(ProductCacheScopes.Reviews(deleted.ProductId));
        }

        return deleted is not null;
    }
}
