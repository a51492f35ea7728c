using Cloudtalk.Common.Caching;
using Cloudtalk.Tests.Infrastructure;
using StackExchange.Redis;

namespace Cloudtalk.Tests.Caching;

/// <summary>
/// The in-process layer of <see cref="CacheAside"/>, against the system's real Redis. Two helpers with their own
/// connections and one key prefix stand for two Api replicas. The in-process time to live is set long here, so
/// that only an invalidation (never an expiry) can explain a fresh value.
/// </summary>
[Collection(CloudtalkCollection.Name)]
public sealed class InProcessCacheTests(CloudtalkAppFixture fixture)
{
    private static readonly CacheScope Scope = new("thing:1");

    [Fact]
    public async Task A_hot_key_is_answered_in_process_without_asking_redis()
    {
        await using var replica = await StartReplicaAsync(TestCaches.NewPrefix());
        await replica.Cache.WithCache(Scope, "item", _ => Task.FromResult<Thing?>(new Thing("v1")), CancellationToken.None);

        // Overwrite the Redis entry behind the helper's back: a Redis read would now see "tampered".
        await using var redis = await fixture.App.ConnectRedisAsync();
        var key = Assert.Single(await redis.CacheKeysAsync($"{replica.Prefix}:*:thing:1:item"));
        await redis.GetDatabase().StringSetAsync(key, """{"name":"tampered"}""");

        var read = await replica.Cache.WithCache<Thing>(Scope, "item", _ => throw new InvalidOperationException("not a hit"), CancellationToken.None);
        Assert.Equal("v1", read!.Name);
    }

    [Fact]
    public async Task Without_start_the_helper_reads_redis_every_time()
    {
        var prefix = TestCaches.NewPrefix();
        await using var connection = await fixture.App.ConnectRedisAsync();
        var cache = TestCaches.Create(connection, prefix, localTimeToLive: TimeSpan.FromMinutes(5));
        await cache.WithCache(Scope, "item", _ => Task.FromResult<Thing?>(new Thing("v1")), CancellationToken.None);

        var key = Assert.Single(await connection.CacheKeysAsync($"{prefix}:*:thing:1:item"));
        await connection.GetDatabase().StringSetAsync(key, """{"name":"from redis"}""");

        var read = await cache.WithCache<Thing>(Scope, "item", _ => throw new InvalidOperationException("not a hit"), CancellationToken.None);
        Assert.Equal("from redis", read!.Name);
    }

    [Fact]
    public async Task An_invalidation_on_one_replica_reaches_the_other_replicas_in_process_layer()
    {
        var prefix = TestCaches.NewPrefix();
        await using var reader = await StartReplicaAsync(prefix);
        await using var writer = await StartReplicaAsync(prefix);
        await reader.Cache.WithCache(Scope, "item", _ => Task.FromResult<Thing?>(new Thing("old")), CancellationToken.None);
        var other = new CacheScope("thing:2");
        await reader.Cache.WithCache(other, "item", _ => Task.FromResult<Thing?>(new Thing("untouched")), CancellationToken.None);

        await writer.Cache.InvalidateAsync(Scope);

        // Pub/sub is asynchronous: the reader sees the new value as soon as the message is in (well under a second).
        var deadline = DateTime.UtcNow.AddSeconds(5);
        string? seen;
        do
        {
            seen = (await reader.Cache.WithCache(Scope, "item", _ => Task.FromResult<Thing?>(new Thing("new")), CancellationToken.None))!.Name;
        }
        while (seen != "new" && DateTime.UtcNow < deadline && await Delay());

        Assert.Equal("new", seen);
        var untouched = await reader.Cache.WithCache<Thing>(other, "item", _ => throw new InvalidOperationException("not a hit"), CancellationToken.None);
        Assert.Equal("untouched", untouched!.Name);
    }

    [Fact]
    public async Task A_value_loaded_before_an_invalidation_is_not_kept_in_process()
    {
        await using var replica = await StartReplicaAsync(TestCaches.NewPrefix());
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var slowRead = replica.Cache.WithCache(Scope, "item", async _ =>
        {
            started.SetResult();
            await gate.Task;
            return new Thing("old");
        }, CancellationToken.None);
        await started.Task;
        await replica.Cache.InvalidateAsync(Scope);
        gate.SetResult();
        Assert.Equal("old", (await slowRead)!.Name);

        var read = await replica.Cache.WithCache(Scope, "item", _ => Task.FromResult<Thing?>(new Thing("new")), CancellationToken.None);
        Assert.Equal("new", read!.Name);
    }

    [Fact]
    public async Task A_lost_subscription_empties_the_in_process_layer()
    {
        var prefix = TestCaches.NewPrefix();
        await using var reader = await StartReplicaAsync(prefix);
        await reader.Cache.WithCache(Scope, "item", _ => Task.FromResult<Thing?>(new Thing("old")), CancellationToken.None);
        await using var redis = await fixture.App.ConnectRedisAsync();
        var key = Assert.Single(await redis.CacheKeysAsync($"{prefix}:*:thing:1:item"));

        // Cut the reader's pub/sub connection, and change the entry in Redis while no invalidation can reach it.
        var killed = await redis.GetServers()[0].ExecuteAsync("CLIENT", "KILL", "TYPE", "pubsub");
        Assert.True((long)killed >= 1, "no pub/sub connection was cut");
        await redis.GetDatabase().StringSetAsync(key, """{"name":"changed while deaf"}""");

        var deadline = DateTime.UtcNow.AddSeconds(10);
        string? seen;
        do
        {
            seen = (await reader.Cache.WithCache<Thing>(Scope, "item", _ => Task.FromResult<Thing?>(new Thing("reloaded")), CancellationToken.None))!.Name;
        }
        while (seen == "old" && DateTime.UtcNow < deadline && await Delay());

        Assert.NotEqual("old", seen);
    }

    [Fact]
    public async Task Entries_expire_after_the_in_process_time_to_live()
    {
        var prefix = TestCaches.NewPrefix();
        await using var replica = await StartReplicaAsync(prefix, localTimeToLive: TimeSpan.FromMilliseconds(300));
        await replica.Cache.WithCache(Scope, "item", _ => Task.FromResult<Thing?>(new Thing("v1")), CancellationToken.None);
        await using var redis = await fixture.App.ConnectRedisAsync();
        var key = Assert.Single(await redis.CacheKeysAsync($"{prefix}:*:thing:1:item"));
        await redis.GetDatabase().StringSetAsync(key, """{"name":"from redis"}""");

        await Task.Delay(TimeSpan.FromSeconds(1));

        var read = await replica.Cache.WithCache<Thing>(Scope, "item", _ => throw new InvalidOperationException("not a hit"), CancellationToken.None);
        Assert.Equal("from redis", read!.Name);
    }

    private Task<CacheReplica> StartReplicaAsync(string prefix, TimeSpan? localTimeToLive = null) =>
        CacheReplica.StartAsync(fixture.App, prefix, localTimeToLive ?? TimeSpan.FromMinutes(5));

    private static async Task<bool> Delay()
    {
        await Task.Delay(20);
        return true;
    }
}
