using Cloudtalk.Common.Caching;
using Cloudtalk.Tests.Infrastructure;

namespace Cloudtalk.Tests.Caching;

/// <summary>
/// <see cref="CacheAside.InvalidateAndReplaceAsync"/> against the system's real Redis: a writer's committed value
/// takes the place of the entry it invalidates, but only where no other writer invalidated the scope after the writer
/// read its versions. The loaders stand in for the database; a loader that throws proves a read was a hit.
/// </summary>
[Collection(CloudtalkCollection.Name)]
public sealed class CacheReplacementTests(CloudtalkAppFixture fixture)
{
    private static readonly CacheScope Scope = new("thing:1");
    private static readonly CacheScope List = new("things");

    [Fact]
    public async Task The_replacement_is_served_without_a_load_and_the_other_scopes_are_invalidated()
    {
        await using var redis = await fixture.App.ConnectRedisAsync();
        var cache = TestCaches.Create(redis);
        await cache.WithCache(Scope, "item", _ => Task.FromResult<Thing?>(new Thing("old")), CancellationToken.None);
        await cache.WithCache(List, "page", _ => Task.FromResult<Thing?>(new Thing("old list")), CancellationToken.None);

        var seen = await cache.ReadVersionsAsync([Scope]);
        await cache.InvalidateAndReplaceAsync(seen, [new CacheReplacement(Scope, "item", new Thing("new"))], List);

        var item = await cache.WithCache<Thing>(Scope, "item", _ => throw new InvalidOperationException("not a hit"), CancellationToken.None);
        var list = await cache.WithCache(List, "page", _ => Task.FromResult<Thing?>(new Thing("new list")), CancellationToken.None);
        Assert.Equal("new", item!.Name);
        Assert.Equal("new list", list!.Name);
    }

    [Fact]
    public async Task A_replacement_is_not_stored_if_another_writer_invalidated_the_scope_after_the_versions_were_read()
    {
        await using var redis = await fixture.App.ConnectRedisAsync();
        var prefix = TestCaches.NewPrefix();
        var cache = TestCaches.Create(redis, prefix);
        var otherWriter = TestCaches.Create(redis, prefix);
        await otherWriter.RetireMissedInvalidationsAsync();
        var seen = await cache.ReadVersionsAsync([Scope]);

        // The other writer committed something newer than what this writer read, and invalidated, in between.
        await otherWriter.InvalidateAsync(Scope);
        await cache.InvalidateAndReplaceAsync(seen, [new CacheReplacement(Scope, "item", new Thing("maybe older"))]);

        var read = await cache.WithCache(Scope, "item", _ => Task.FromResult<Thing?>(new Thing("from the database")), CancellationToken.None);
        Assert.Equal("from the database", read!.Name);
    }

    [Fact]
    public async Task A_replacement_is_not_stored_after_an_epoch_bump()
    {
        await using var redis = await fixture.App.ConnectRedisAsync();
        var prefix = TestCaches.NewPrefix();
        var cache = TestCaches.Create(redis, prefix);
        var seen = await cache.ReadVersionsAsync([Scope]);

        // A replica that may have missed invalidations retires everything (here: a new one, on its first contact).
        await TestCaches.Create(redis, prefix).RetireMissedInvalidationsAsync();
        await cache.InvalidateAndReplaceAsync(seen, [new CacheReplacement(Scope, "item", new Thing("maybe older"))]);

        var read = await cache.WithCache(Scope, "item", _ => Task.FromResult<Thing?>(new Thing("from the database")), CancellationToken.None);
        Assert.Equal("from the database", read!.Name);
    }

    [Fact]
    public async Task Unknown_versions_only_invalidate()
    {
        await using var redis = await fixture.App.ConnectRedisAsync();
        var cache = TestCaches.Create(redis);
        await cache.WithCache(Scope, "item", _ => Task.FromResult<Thing?>(new Thing("old")), CancellationToken.None);

        await cache.InvalidateAndReplaceAsync(CacheVersions.Unknown, [new CacheReplacement(Scope, "item", new Thing("not stored"))]);

        var read = await cache.WithCache(Scope, "item", _ => Task.FromResult<Thing?>(new Thing("from the database")), CancellationToken.None);
        Assert.Equal("from the database", read!.Name);
    }

    [Fact]
    public async Task A_value_loaded_before_the_replacement_is_never_stored_over_it()
    {
        await using var redis = await fixture.App.ConnectRedisAsync();
        var cache = TestCaches.Create(redis);
        var slowRead = await HeldRead.StartAsync(cache, Scope, "read before the write");

        var seen = await cache.ReadVersionsAsync([Scope]);
        await cache.InvalidateAndReplaceAsync(seen, [new CacheReplacement(Scope, "item", new Thing("written"))]);
        await slowRead.FinishAsync();

        var read = await cache.WithCache<Thing>(Scope, "item", _ => throw new InvalidOperationException("not a hit"), CancellationToken.None);
        Assert.Equal("written", read!.Name);
    }

    [Fact]
    public async Task Another_replica_serving_the_old_value_in_process_reads_the_replacement_next()
    {
        var prefix = TestCaches.NewPrefix();
        await using var reader = await CacheReplica.StartAsync(fixture.App, prefix, TimeSpan.FromMinutes(5));
        await using var writer = await CacheReplica.StartAsync(fixture.App, prefix, TimeSpan.FromMinutes(5));
        await reader.Cache.WithCache(Scope, "item", _ => Task.FromResult<Thing?>(new Thing("old")), CancellationToken.None);

        var seen = await writer.Cache.ReadVersionsAsync([Scope]);
        await writer.Cache.InvalidateAndReplaceAsync(seen, [new CacheReplacement(Scope, "item", new Thing("new"))]);

        // No waiting: when the writer's call returns the reader has dropped its entry, and Redis holds the new one.
        var read = await reader.Cache.WithCache<Thing>(Scope, "item", _ => throw new InvalidOperationException("not a hit"), CancellationToken.None);
        Assert.Equal("new", read!.Name);
    }

    [Fact]
    public async Task The_writer_keeps_its_replacement_in_process()
    {
        var prefix = TestCaches.NewPrefix();
        await using var writer = await CacheReplica.StartAsync(fixture.App, prefix, TimeSpan.FromMinutes(5));
        await writer.Cache.WithCache(Scope, "item", _ => Task.FromResult<Thing?>(new Thing("old")), CancellationToken.None);

        var seen = await writer.Cache.ReadVersionsAsync([Scope]);
        await writer.Cache.InvalidateAndReplaceAsync(seen, [new CacheReplacement(Scope, "item", new Thing("new"))]);

        // Overwrite the entries in Redis: a read that finds "tampered" went to Redis, not to the writer's memory.
        await TamperAsync(prefix);
        var read = await writer.Cache.WithCache<Thing>(Scope, "item", _ => throw new InvalidOperationException("not a hit"), CancellationToken.None);
        Assert.Equal("new", read!.Name);
    }

    [Fact]
    public async Task A_replacement_redis_refused_is_not_kept_in_process_either()
    {
        var prefix = TestCaches.NewPrefix();
        await using var writer = await CacheReplica.StartAsync(fixture.App, prefix, TimeSpan.FromMinutes(5));
        await using var otherWriter = await CacheReplica.StartAsync(fixture.App, prefix, TimeSpan.FromMinutes(5));
        var seen = await writer.Cache.ReadVersionsAsync([Scope]);

        // The other writer committed something newer than what this writer read, and invalidated, in between.
        await otherWriter.Cache.InvalidateAsync(Scope);
        await writer.Cache.InvalidateAndReplaceAsync(seen, [new CacheReplacement(Scope, "item", new Thing("maybe older"))]);

        var read = await writer.Cache.WithCache(Scope, "item", _ => Task.FromResult<Thing?>(new Thing("from the database")), CancellationToken.None);
        Assert.Equal("from the database", read!.Name);
    }

    [Fact]
    public async Task A_later_invalidation_from_another_replica_drops_the_writers_in_process_replacement()
    {
        var prefix = TestCaches.NewPrefix();
        await using var writer = await CacheReplica.StartAsync(fixture.App, prefix, TimeSpan.FromMinutes(5));
        await using var otherWriter = await CacheReplica.StartAsync(fixture.App, prefix, TimeSpan.FromMinutes(5));
        var seen = await writer.Cache.ReadVersionsAsync([Scope]);
        await writer.Cache.InvalidateAndReplaceAsync(seen, [new CacheReplacement(Scope, "item", new Thing("replaced"))]);

        await otherWriter.Cache.InvalidateAsync(Scope);

        var read = await writer.Cache.WithCache(Scope, "item", _ => Task.FromResult<Thing?>(new Thing("from the database")), CancellationToken.None);
        Assert.Equal("from the database", read!.Name);
    }

    private async Task TamperAsync(string prefix)
    {
        await using var redis = await fixture.App.ConnectRedisAsync();
        var keys = await redis.CacheKeysAsync($"{prefix}:*:thing:1:item");
        Assert.NotEmpty(keys);
        foreach (var key in keys)
        {
            await redis.GetDatabase().StringSetAsync(key, """{"name":"tampered"}""");
        }
    }
}
