using System.Diagnostics;
using Cloudtalk.Api.Idempotency;
using Cloudtalk.Api.Infrastructure;
using Cloudtalk.Api.Paging;
using Cloudtalk.Api.Products;
using Cloudtalk.Common.Caching;
using Cloudtalk.Common.Events;
using Cloudtalk.Common.Outbox;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Cloudtalk.Api.Reviews;

/// <summary>
/// Reviews in PostgreSQL. Every write runs in one transaction that also adds its integration event to
/// the outbox, so the change and its event commit together (a 2xx means both are durable); the relay publishes
/// the event after the commit. The cache is invalidated after the commit.
/// </summary>
public sealed class ReviewRepository(ApiDbContext db, CacheAside cache, TimeProvider time, ReviewCreationBatcher creations)
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
    /// Inserts the reviews and their review-created outbox rows in one transaction, one statement per table. Written
    /// in SQL rather than through <c>SaveChanges</c>: EF Core inserts row by row, and with batches of dozens of reviews
    /// its per-row, per-column bookkeeping was the Api's largest cost (half of what it allocated).
    /// </summary>
    private async Task InsertAsync(List<NewReview> writes, CancellationToken cancellationToken)
    {
        List<OutboxMessage> events = [];
        // Everything that talks to PostgreSQL runs under the retrying strategy, the id draw included: after a server
        // restart the first use of a pooled connection fails, and that must be retried, not answered 500.
        await db.Database.CreateExecutionStrategy().ExecuteInTransactionAsync(async ct =>
        {
            if (events.Count == 0)
            {
                // Ids first, so that each event can carry its review's id; an id once drawn is kept.
                await DrawIdsAsync(writes.Select(write => write.Review).Where(review => review.Id == 0).ToList(), ct);
                events = writes.ConvertAll(write => OutboxMessage.Create(
                    new ReviewCreated(write.Review.Id, write.Review.ProductId, write.Review.Rating, write.Review.Version),
                    raisedIn: write.RaisedIn));
            }

            // No read of the products first: each row's foreign-key check takes the KEY SHARE lock on its product (a
            // concurrent delete waits for this commit, then takes the reviews with it), and a missing product is a
            // foreign-key violation. Both inserts are in one transaction, so all rows commit or none does.
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
            // A keyed create is alone in its transaction: its answer is stored before its row, so a concurrent request
            // with the same key waits here for this commit, then answers from what this one stored.
            foreach (var write in writes.Where(write => write.Idempotency is not null))
            {
                await db.StoreAnswerAsync(write.Idempotency!, ReviewsApi.Location(write.Review.Id),
                    ReviewResponse.From(write.Review), time.GetUtcNow(), ct);
            }

            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO reviews (id, product_id, first_name, last_name, review_text, rating, review_version, created_at, updated_at)
                SELECT * FROM unnest({ids}, {productIds}, {firstNames}, {lastNames}, {texts}, {ratings}, {versions}, {createdAt}, {updatedAt})
                """, ct);
            await db.InsertOutboxEventsAsync(events, ct);
        },
        // A lost commit answer: the rows committed together, so the first event's row tells whether the commit
        // happened, and a retry neither inserts the reviews twice nor fails on its own earlier inserts.
        ct => db.IsOutboxEventCommittedAsync(events.FirstOrDefault()?.Id, ct),
        cancellationToken);
    }

    /// <summary>
    /// Gives each review an id from the sequence. Each value drawn reserves a block of ids (the sequence steps by the
    /// block size, as for EF Core's hi/lo), so one round trip serves the whole batch.
    /// </summary>
    private async Task DrawIdsAsync(List<Review> reviews, CancellationToken cancellationToken)
    {
        if (reviews.Count == 0)
        {
            return;
        }

        var blockSize = db.Model.FindSequence(ReviewEntityConfiguration.IdSequence)!.IncrementBy;
        var blocks = (reviews.Count + blockSize - 1) / blockSize;
        var starts = await db.Database
            .SqlQueryRaw<long>($"SELECT nextval('{ReviewEntityConfiguration.IdSequence}') AS \"Value\" FROM generate_series(1, {{0}})", blocks)
            .ToListAsync(cancellationToken);
        for (var i = 0; i < reviews.Count; i++)
        {
            reviews[i].Id = starts[i / blockSize] + i % blockSize;
        }
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
