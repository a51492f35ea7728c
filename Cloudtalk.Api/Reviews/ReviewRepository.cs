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
        Review review;
        try
        {
            var now = time.UtcNow();
            review = new Review
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
            // AddAsync draws the id from the hi/lo sequence (a round trip once per 10 reviews), so the event can carry it
            // before anything is written. One SaveChanges then sends the review and its outbox row in one batch, in one
            // transaction: both commit or neither does. No read of the product first: the insert's foreign-key check
            // takes the same KEY SHARE lock on the product row (a concurrent delete waits for this commit, then takes
            // the review with it), and a missing product is a foreign-key violation, answered below as "not found".
            await db.Reviews.AddAsync(review, cancellationToken);
            db.AddOutboxEvent(new ReviewCreated(review.Id, productId, review.Rating, review.Version));
            // Retried on transient faults. If the connection is lost while committing, the commit may have happened:
            // the review's own id tells, so a retry neither inserts it twice nor fails on its own earlier insert.
            await db.Database.CreateExecutionStrategy().ExecuteInTransactionAsync(
                ct => db.SaveChangesAsync(acceptAllChangesOnSuccess: false, ct),
                ct => db.Reviews.AsNoTracking().AnyAsync(r => r.Id == review.Id, ct),
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
        var result = await db.Database.CreateExecutionStrategy().ExecuteAsync(async ct =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
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
            db.AddOutboxEvent(new ReviewUpdated(review.Id, review.ProductId, review.Rating, previousRating, review.Version));
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            return new ReviewWriteResult(ReviewWriteStatus.Done, ReviewResponse.From(review));
        }, cancellationToken);

        if (result.Status == ReviewWriteStatus.Done)
        {
            await cache.InvalidateAsync(ProductCacheScopes.Reviews(productId));
        }

        return result;
    }

    public async Task<bool> DeleteAsync(long id, CancellationToken cancellationToken)
    {
        var deleted = await db.Database.CreateExecutionStrategy().ExecuteAsync(async ct =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
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
            db.AddOutboxEvent(new ReviewDeleted(review.Id, review.ProductId, review.Rating, review.Version + 1));
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            return review;
        }, cancellationToken);

        if (deleted is not null)
        {
            await cache.InvalidateAsync(ProductCacheScopes.Reviews(deleted.ProductId));
        }

        return deleted is not null;
    }
}
