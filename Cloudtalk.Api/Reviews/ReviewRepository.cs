using Cloudtalk.Api.Infrastructure;
using Cloudtalk.Api.Paging;
using Cloudtalk.Api.Products;
using Cloudtalk.Common.Caching;
using Cloudtalk.Common.Events;
using Cloudtalk.Common.Outbox;
using Microsoft.EntityFrameworkCore;

namespace Cloudtalk.Api.Reviews;

/// <summary>
/// Reviews in PostgreSQL. Every write runs in one transaction that also adds its integration event to
/// the outbox, so the change and its event commit together (a 2xx means both are durable); the relay publishes
/// the event after the commit. The cache is invalidated after the commit.
/// </summary>
public sealed class ReviewRepository(ApiDbContext db, CacheAside cache, TimeProvider time)
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

    public async Task<ReviewWriteResult> CreateAsync(ReviewInput input, CancellationToken cancellationToken)
    {
        var productId = input.ProductId.Value;
        var now = time.UtcNow();
        var review = new Review
        {
            ProductId = productId,
            FirstName = input.FirstName.Value,
            LastName = input.LastName.Or(null),
            ReviewText = input.ReviewText.Or(null),
            Rating = input.Rating.Value,
            Version = 1,
            CreatedAt = now,
            UpdatedAt = now,
        };
        OutboxMessage? created = null;
        try
        {
            // Everything that talks to PostgreSQL runs under the retrying strategy, the id draw included: after a
            // server restart the first use of a pooled connection fails, and that must be retried, not answered 500.
            await db.Database.CreateExecutionStrategy().ExecuteInTransactionAsync(async ct =>
            {
                if (created is null)
                {
                    // AddAsync draws the id from the hi/lo sequence (a round trip once per 10 reviews), so the event
                    // can carry it before anything is written. No read of the product first: the insert's foreign-key
                    // check takes the same KEY SHARE lock on the product row (a concurrent delete waits for this
                    // commit, then takes the review with it), and a missing product is a foreign-key violation,
                    // answered below as "not found". A draw that failed is simply made again.
                    db.ChangeTracker.Clear();
                    await db.Reviews.AddAsync(review, ct);
                    created = db.AddOutboxEvent(new ReviewCreated(review.Id, productId, review.Rating, review.Version));
                }

                // One SaveChanges: the review and its outbox row in one batch, so both commit or neither does. Not
                // accepted yet: an attempt that failed before its commit leaves both rows to send again.
                return await db.SaveChangesAsync(acceptAllChangesOnSuccess: false, ct);
            },
            // A lost commit answer: the event's row tells whether the commit happened, so a retry neither inserts
            // the review twice nor fails on its own earlier insert.
            ct => db.IsOutboxEventCommittedAsync(created?.Id, ct),
            cancellationToken);
            db.ChangeTracker.AcceptAllChanges();
        }
        catch (DbUpdateException exception) when (exception.IsForeignKeyViolation())
        {
            // The product does not exist, or was deleted before this insert took its lock.
            db.ChangeTracker.Clear();
            return new ReviewWriteResult(ReviewWriteStatus.ProductNotFound);
        }

        await cache.InvalidateAsync(ProductCacheScopes.Reviews(productId));
        return new ReviewWriteResult(ReviewWriteStatus.Done, ReviewResponse.From(review));
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
