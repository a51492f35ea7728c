using Cloudtalk.Api.Infrastructure;
using Cloudtalk.Api.Products;
using Cloudtalk.Api.Ratings;
using Cloudtalk.Common.Caching;
using Cloudtalk.Common.Events;
using Cloudtalk.Common.Messaging;
using Cloudtalk.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cloudtalk.Tests.Caching;

/// <summary>
/// A <c>rating-updated</c> replaces the product's cached answer with the updated row instead of only dropping it, so
/// the read after it is still a cache hit, and an exact one. The handler runs as the Api runs it, on the Api's
/// database, with a cache of its own (its own key prefix) on the real Redis.
/// </summary>
[Collection(CloudtalkCollection.Name)]
public sealed class RatingUpdateCacheTests(CloudtalkAppFixture fixture) : IDisposable
{
    private readonly HttpClient _api = fixture.App.CreateApiClient();

    public void Dispose() => _api.Dispose();

    [Fact]
    public async Task A_rating_update_leaves_the_updated_product_in_the_cache()
    {
        var productId = (await _api.CreateProductAsync("rating update replaces the cached product")).Id();
        await using var db = await ApiRepositories.OpenDbContextAsync(fixture.App);
        await using var redis = await fixture.App.ConnectRedisAsync();
        using var cache = TestCaches.Create(redis);
        var before = await ReadThroughAsync(cache, db, productId);
        Assert.Equal(0, before!.ReviewCount);

        await HandleAsync(db, cache, new RatingUpdated(productId, 4.5, 2, 1_000));

        var cached = await cache.WithCache<ProductResponse>(ProductCacheScopes.Item(productId), ProductRepository.ItemEntry,
            _ => throw new InvalidOperationException("not a hit"), CancellationToken.None);
        var stored = await db.Products.AsNoTracking().SingleAsync(product => product.Id == productId);
        Assert.Equal(ProductResponse.From(stored), cached);
        Assert.Equal(4.5, cached!.AverageRating);
        Assert.Equal(2, cached.ReviewCount);
    }

    [Fact]
    public async Task A_redelivered_rating_only_invalidates_and_the_next_read_loads_the_product()
    {
        var productId = (await _api.CreateProductAsync("redelivered rating")).Id();
        await using var db = await ApiRepositories.OpenDbContextAsync(fixture.App);
        await using var redis = await fixture.App.ConnectRedisAsync();
        using var cache = TestCaches.Create(redis);
        var rating = new RatingUpdated(productId, 3, 1, 1_000);
        await HandleAsync(db, cache, rating);
        await ReadThroughAsync(cache, db, productId);

        await HandleAsync(db, cache, rating);

        var loads = 0;
        var read = await cache.WithCache(ProductCacheScopes.Item(productId), ProductRepository.ItemEntry, async ct =>
        {
            loads++;
            return ProductResponse.From(await db.Products.AsNoTracking().SingleAsync(product => product.Id == productId, ct));
        }, CancellationToken.None);
        Assert.Equal(1, loads);
        Assert.Equal(3, read!.AverageRating);
        Assert.Equal(1, read.ReviewCount);
    }

    private static Task<ProductResponse?> ReadThroughAsync(CacheAside cache, ApiDbContext db, long productId) =>
        cache.WithCache(ProductCacheScopes.Item(productId), ProductRepository.ItemEntry, async ct =>
            ProductResponse.From(await db.Products.AsNoTracking().SingleAsync(product => product.Id == productId, ct)),
            CancellationToken.None);

    private static Task HandleAsync(ApiDbContext db, CacheAside cache, RatingUpdated rating) =>
        new RatingUpdatedHandler(db, cache, NullLogger<RatingUpdatedHandler>.Instance).HandleAsync(
            [new IncomingEvent(rating, new EventMetadata(Guid.NewGuid(), RatingUpdated.EventName, DateTimeOffset.UtcNow), null)],
            CancellationToken.None);
}
