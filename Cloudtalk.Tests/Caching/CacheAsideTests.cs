using Cloudtalk.Common.Caching;
using Cloudtalk.Tests.Infrastructure;
using StackExchange.Redis;

namespace Cloudtalk.Tests.Caching;

/// <summary>
/// The <see cref="CacheAside"/> helper on its own, against the system's real Redis. The loader stands in
/// for the database and counts how often it is asked. Each test uses its own key prefix.
/// </summary>
[Collection(CloudtalkCollection.Name)]
public sealed class CacheAsideTests(CloudtalkAppFixture fixture)
{
    private static readonly CacheScope Scope = new("thing:1");

    [Fact]
    public async Task Concurrent_misses_for_one_key_reach_the_loader_once()
    {
        await using var redis = await fixture.App.ConnectRedisAsync();
        var cache = TestCaches.Create(redis);
        var loads = 0;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var readers = Enumerable.Range(0, 20).Select(_ => cache.WithCache(Scope, "item", async _ =>
        {
            Interlocked.Increment(ref loads);
            await gate.Task;
            return new Thing("loaded");
        }, CancellationToken.None)).ToList();
        await WaitForAsync(() => Volatile.Read(ref loads) > 0);
        // Give the other readers' Redis lookups (well under a millisecond each) ample time to miss and join.
        await Task.Delay(TimeSpan.FromSeconds(2));
        gate.SetResult();
        var values = await Task.WhenAll(readers);

        Assert.Equal(1, loads);
        Assert.All(values, value => Assert.Equal("loaded", value!.Name));
        // And the next read is a hit.
        var hit = await cache.WithCache<Thing>(Scope, "item", _ => throw new InvalidOperationException("not a hit"), CancellationToken.None);
        Assert.Equal("loaded", hit!.Name);
    }

    [Fact]
    public async Task Concurrent_misses_while_redis_is_unreachable_reach_the_loader_once()
    {
        await using var unreachable = await ConnectionMultiplexer.ConnectAsync(
            "127.0.0.1:1,abortConnect=false,connectTimeout=200,syncTimeout=200,asyncTimeout=200");
        var cache = TestCaches.Create(unreachable);
        var loads = 0;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var readers = Enumerable.Range(0, 20).Select(_ => cache.WithCache(Scope, "item", async _ =>
        {
            Interlocked.Increment(ref loads);
            await gate.Task;
            return new Thing("loaded");
        }, CancellationToken.None)).ToList();
        gate.SetResult();
        var values = await Task.WhenAll(readers);

        Assert.Equal(1, loads);
        Assert.All(values, value => Assert.Equal("loaded", value!.Name));
    }

    [Fact]
    public async Task A_value_loaded_before_an_invalidation_is_never_stored_after_it()
    {
        await using var redis = await fixture.App.ConnectRedisAsync();
        var cache = TestCaches.Create(redis);

        var slowRead = await HeldRead.StartAsync(cache, Scope, "old");
        // A writer commits "new" and invalidates while the old value is still on its way to the cache.
        await cache.InvalidateAsync(Scope);
        Assert.Equal("old", (await slowRead.FinishAsync())!.Name);

        var read = await cache.WithCache(Scope, "item", _ => Task.FromResult<Thing?>(new Thing("new")), CancellationToken.None);
        Assert.Equal("new", read!.Name);
    }

    [Fact]
    public async Task Invalidating_a_scope_drops_its_entries_and_leaves_other_scopes_alone()
    {
        await using var redis = await fixture.App.ConnectRedisAsync();
        var cache = TestCaches.Create(redis);
        var other = new CacheScope("thing:2");
        await cache.WithCache(Scope, "item", _ => Task.FromResult<Thing?>(new Thing("a1")), CancellationToken.None);
        await cache.WithCache(other, "item", _ => Task.FromResult<Thing?>(new Thing("b1")), CancellationToken.None);

        await cache.InvalidateAsync(Scope);

        var first = await cache.WithCache(Scope, "item", _ => Task.FromResult<Thing?>(new Thing("a2")), CancellationToken.None);
        var second = await cache.WithCache(other, "item", _ => Task.FromResult<Thing?>(new Thing("b2")), CancellationToken.None);
        Assert.Equal("a2", first!.Name);
        Assert.Equal("b1", second!.Name);
    }

    [Fact]
    public async Task Null_is_never_cached()
    {
        await using var redis = await fixture.App.ConnectRedisAsync();
        var cache = TestCaches.Create(redis);

        var missing = await cache.WithCache(Scope, "item", _ => Task.FromResult<Thing?>(null), CancellationToken.None);
        var found = await cache.WithCache(Scope, "item", _ => Task.FromResult<Thing?>(new Thing("now there")), CancellationToken.None);

        Assert.Null(missing);
        Assert.Equal("now there", found!.Name);
    }

    [Fact]
    public async Task Entries_expire_after_the_time_to_live()
    {
        await using var redis = await fixture.App.ConnectRedisAsync();
        var prefix = TestCaches.NewPrefix();
        var cache = TestCaches.Create(redis, prefix, timeToLive: TimeSpan.FromMinutes(7));

        await cache.WithCache(Scope, "item", _ => Task.FromResult<Thing?>(new Thing("x")), CancellationToken.None);

        var key = Assert.Single(await redis.CacheKeysAsync($"{prefix}:*:thing:1:item"));
        var ttl = await redis.GetDatabase().KeyTimeToLiveAsync(key);
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromMinutes(6), TimeSpan.FromMinutes(7));
    }

    [Fact]
    public async Task Unreachable_redis_answers_from_the_loader_and_never_throws()
    {
        await using var unreachable = await ConnectionMultiplexer.ConnectAsync(
            "127.0.0.1:1,abortConnect=false,connectTimeout=200,syncTimeout=200,asyncTimeout=200");
        var cache = TestCaches.Create(unreachable);
        var loads = 0;

        for (var i = 0; i < 3; i++)
        {
            var value = await cache.WithCache(Scope, "item", _ =>
            {
                Interlocked.Increment(ref loads);
                return Task.FromResult<Thing?>(new Thing("from database"));
            }, CancellationToken.None);
            Assert.Equal("from database", value!.Name);
            await cache.InvalidateAsync(Scope);
        }

        Assert.Equal(3, loads);
    }

    [Fact]
    public async Task A_new_instance_retires_older_entries_by_bumping_the_epoch()
    {
        await using var redis = await fixture.App.ConnectRedisAsync();
        var prefix = TestCaches.NewPrefix();
        var first = TestCaches.Create(redis, prefix);
        await first.WithCache(Scope, "item", _ => Task.FromResult<Thing?>(new Thing("cached by a replica that then crashed")), CancellationToken.None);
        var epoch = (long)await redis.GetDatabase().StringGetAsync($"{prefix}:epoch");

        var second = TestCaches.Create(redis, prefix);
        await second.RetireMissedInvalidationsAsync();
        var read = await second.WithCache(Scope, "item", _ => Task.FromResult<Thing?>(new Thing("fresh")), CancellationToken.None);

        Assert.Equal(epoch + 1, (long)await redis.GetDatabase().StringGetAsync($"{prefix}:epoch"));
        Assert.Equal("fresh", read!.Name);
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
