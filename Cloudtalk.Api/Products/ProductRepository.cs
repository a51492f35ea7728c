using System.Globalization;
using Cloudtalk.Api.Idempotency;
using Cloudtalk.Api.Infrastructure;
using Cloudtalk.Api.Paging;
using Cloudtalk.Common.Caching;
using Cloudtalk.Common.Events;
using Cloudtalk.Common.Outbox;
using Cloudtalk.Common.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Cloudtalk.Api.Products;

/// <summary>
/// Products in PostgreSQL, read through the cache. Writes commit first and invalidate afterwards
/// (see <see cref="CacheAside"/> for why that order cannot leave a stale entry behind).
/// </summary>
public sealed class ProductRepository(ApiDbContext db, CacheAside cache, TimeProvider time)
{
    /// <summary>The entry of a product's own scope (<see cref="ProductCacheScopes.Item"/>) that holds its answer.</summary>
    public const string ItemEntry = "item";

    public Task<ProductResponse?> GetAsync(long id, CancellationToken cancellationToken) =>
        cache.WithCache(ProductCacheScopes.Item(id), ItemEntry, async ct =>
        {
            var product = await db.Products.AsNoTracking().FirstOrDefaultAsync(p => p.Id == id, ct);
            return product is null ? null : ProductResponse.From(product);
        }, cancellationToken);

    public async Task<PagedList<ProductResponse>> ListAsync(PageRequest page, CancellationToken cancellationToken)
    {
        var list = await cache.WithCache(ProductCacheScopes.List, PageEntry(page), async ct =>
        {
            var products = await db.Products.AsNoTracking().OrderBy(p => p.Id).ToPagedListAsync(page, ct);
            return products.Map(ProductResponse.From);
        }, cancellationToken);
        return list!;
    }

    /// <summary>
    /// Creates a product. With an <c>Idempotency-Key</c> whose answer is stored, nothing is created and the prior answer
    /// comes back instead (the same request again, or another one under that key); otherwise the answer is stored in
    /// the create's transaction.
    /// </summary>
    public async Task<(ProductResponse? Created, PriorAnswer? Prior)> CreateAsync(
        ProductInput input, IdempotentRequest? idempotency, CancellationToken cancellationToken) =>
        idempotency is null
            ? (await InsertAsync(input, null, cancellationToken), null)
            : await db.CreateOnceAsync<(ProductResponse?, PriorAnswer?)>(idempotency, time,
                async () => (await InsertAsync(input, idempotency, cancellationToken), null),
                prior => (null, prior), cancellationToken);

    private async Task<ProductResponse> InsertAsync(ProductInput input, IdempotentRequest? idempotency, CancellationToken cancellationToken)
    {
        var now = time.UtcNow();
        Product? product = null;
        long insertedId = 0;
        await db.Database.CreateExecutionStrategy().ExecuteInTransactionAsync(async ct =>
        {
            // A fresh row per attempt: an attempt that failed may have been given an identity value already.
            db.ChangeTracker.Clear();
            insertedId = 0;
            product = new Product
            {
                Name = input.Name.Value,
                Description = input.Description.Or(null),
                Price = input.Price.Value,
                CreatedAt = now,
                UpdatedAt = now,
            };
            db.Products.Add(product);
            var saved = await db.SaveChangesAsync(acceptAllChangesOnSuccess: false, ct);
            // Not yet on the entity (that waits for AcceptAllChanges), but in its entry.
            insertedId = db.Entry(product).Property(p => p.Id).CurrentValue;
            if (idempotency is not null)
            {
                await db.StoreAnswerAsync(idempotency, ProductsApi.Location(insertedId),
                    ProductResponse.From(product) with { Id = insertedId }, now, ct);
            }

            return saved;
        },
        // A lost commit answer: the insert had returned the new id before the COMMIT, so the row with that id tells
        // whether the commit happened, and a retry never creates the product twice.
        ct => insertedId > 0
            ? db.IsRowCommittedAsync(c => db.Products.AsNoTracking().AnyAsync(p => p.Id == insertedId, c), ct)
            : Task.FromResult(false),
        cancellationToken);
        db.ChangeTracker.AcceptAllChanges();

        await cache.InvalidateAsync(ProductCacheScopes.List);
        return ProductResponse.From(product!);
    }

    /// <summary>Applies the fields that were sent; null if there is no such product.</summary>
    public async Task<ProductResponse?> UpdateAsync(long id, ProductInput input, CancellationToken cancellationToken)
    {
        var strategy = db.Database.CreateExecutionStrategy();
        var updated = await strategy.ExecuteAsync(async ct =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            // Row lock: concurrent PUTs of one product apply one after the other, none loses the other's fields. NO KEY:
            // the id never changes, so review inserts (whose foreign-key checks take KEY SHARE) need not wait for it.
            var product = (await db.Products
                .FromSql($"SELECT * FROM products WHERE id = {id} FOR NO KEY UPDATE")
                .ToListAsync(ct)).SingleOrDefault();
            if (product is null)
            {
                return null;
            }

            product.Name = input.Name.Or(product.Name);
            product.Description = input.Description.Or(product.Description);
            product.Price = input.Price.Or(product.Price);
            product.UpdatedAt = time.UtcNow();
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            return ProductResponse.From(product);
        }, cancellationToken);

        if (updated is not null)
        {
            await cache.InvalidateAsync(ProductCacheScopes.Item(id), ProductCacheScopes.List);
        }

        return updated;
    }

    /// <summary>
    /// Deletes the product and, through the foreign key's ON DELETE CASCADE, its reviews; publishes
    /// <c>product-deleted</c> (outbox, same transaction).
    /// </summary>
    public async Task<bool> DeleteAsync(long id, CancellationToken cancellationToken)
    {
        Guid? deletedEvent = null;
        var deleted = await db.Database.CreateExecutionStrategy().ExecuteInTransactionAsync(async ct =>
        {
            deletedEvent = null;
            // Row count, not a read-then-delete: of concurrent deletes exactly one sees 1.
            var rows = await db.Products.Where(p => p.Id == id).ExecuteDeleteAsync(ct);
            if (rows == 0)
            {
                return false;
            }

            // One product-deleted, no review-deleted per review: Rating drops the product's whole state on it,
            // and the work stays constant however many reviews the product had.
            db.ChangeTracker.Clear();
            deletedEvent = db.AddOutboxEvent(new ProductDeleted(id)).Id;
            await db.SaveChangesAsync(ct);
            return true;
        },
        // A lost commit answer: without this check the retry would find the product gone and answer 404.
        ct => db.IsOutboxEventCommittedAsync(deletedEvent, ct),
        cancellationToken);

        if (deleted)
        {
            await cache.InvalidateAsync(
                ProductCacheScopes.Item(id), ProductCacheScopes.List, ProductCacheScopes.Reviews(id));
        }

        return deleted;
    }

    internal static string PageEntry(PageRequest page) =>
        string.Create(CultureInfo.InvariantCulture, $"page={page.Page}:limit={page.Limit}");
}
