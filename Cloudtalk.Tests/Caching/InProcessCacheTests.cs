using System.Diagnostics;
using Cloudtalk.Common.Caching;
using Cloudtalk.Tests.Infrastructure;
using Cloudtalk.Tests.Messaging;
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
    public async Task A_value_larger_than_the_in_process_budget_is_not_kept_in_process()
    {
        var prefix = TestCaches.NewPrefix();
        await using var replica = await CacheReplica.StartAsync(fixture.App, prefix, TimeSpan.FromMinutes(5), localMaxBytes: 1_000);
        var small = new CacheScope("thing:small");
        await replica.Cache.WithCache(Scope, "item", _ => Task.FromResult<Thing?>(new Thing(new string('x', 2_000))), CancellationToken.None);
        await replica.Cache.WithCache(small, "item", _ => Task.FromResult<Thing?>(new Thing("small")), CancellationToken.None);

        // Overwrite both Redis entries: a read that finds "from redis" was not answered in process.
        await using var redis = await fixture.App.ConnectRedisAsync();
        var keys = await redis.CacheKeysAsync($"{prefix}:*:item");
        Assert.Equal(2, keys.Count);
        foreach (var key in keys)
        {
            await redis.GetDatabase().StringSetAsync(key, """{"name":"from redis"}""");
        }

        var big = await replica.Cache.WithCache<Thing>(Scope, "item", _ => throw new InvalidOperationException("not a hit"), CancellationToken.None);
        var kept = await replica.Cache.WithCache<Thing>(small, "item", _ => throw new InvalidOperationException("not a hit"), CancellationToken.None);
        Assert.Equal("from redis", big!.Name);
        Assert.Equal("small", kept!.Name);
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
    public async Task A_read_on_another_replica_right_after_an_invalidation_returns_is_never_stale()
    {
        var prefix = TestCaches.NewPrefix();
        await using var reader = await StartReplicaAsync(prefix);
        await using var writer = await StartReplicaAsync(prefix);
        var other = new CacheScope("thing:2");
        await reader.Cache.WithCache(other, "item", _ => Task.FromResult<Thing?>(new Thing("untouched")), CancellationToken.None);

        var current = "v0";
        await reader.Cache.WithCache(Scope, "item", _ => Task.FromResult<Thing?>(new Thing(current)), CancellationToken.None);

        // Many rounds: the reader's pub/sub message races the next read, so one round proves little.
        for (var round = 1; round <= 50; round++)
        {
            var kept = await reader.Cache.WithCache<Thing>(Scope, "item", _ => throw new InvalidOperationException("not a hit"), CancellationToken.None);
            Assert.Equal(current, kept!.Name);
            Assert.True(reader.Cache.IsServingInProcess, "the reader answers from Redis, so this round proves nothing");

            await writer.Cache.InvalidateAsync(Scope);

            // No waiting: when InvalidateAsync returns, the reader has dropped its entry.
            current = $"v{round}";
            var read = await reader.Cache.WithCache(Scope, "item", _ => Task.FromResult<Thing?>(new Thing(current)), CancellationToken.None);
            Assert.Equal(current, read!.Name);
        }

        var untouched = await reader.Cache.WithCache<Thing>(other, "item", _ => throw new InvalidOperationException("not a hit"), CancellationToken.None);
        Assert.Equal("untouched", untouched!.Name);
    }

    [Fact]
    public async Task A_writer_waits_out_the_lease_of_a_replica_that_does_not_acknowledge()
    {
        var prefix = TestCaches.NewPrefix();
        var lease = TimeSpan.FromSeconds(1);
        await using var writer = await StartReplicaAsync(prefix, localLease: lease);
        await using var redis = await fixture.App.ConnectRedisAsync();

        // A replica that pings (so it may hold a lease) and then freezes: it never acknowledges anything.
        var pingedAt = Stopwatch.GetTimestamp();
        await redis.GetSubscriber().PublishAsync(Channel(prefix), "p frozen-replica 1");
        await writer.Cache.InvalidateAsync(Scope);

        // Its lease can have run out only one lease after its ping: answering earlier could leave it serving the old value.
        Assert.True(Stopwatch.GetElapsedTime(pingedAt) >= lease,
            $"the writer returned {Stopwatch.GetElapsedTime(pingedAt)} after the frozen replica's ping, within its lease");
    }

    [Fact]
    public async Task A_writer_returns_on_the_acknowledgement_of_every_replica_it_heard()
    {
        var prefix = TestCaches.NewPrefix();
        // Long enough that returning before its end can only mean the acknowledgement, however slow the machine.
        var lease = TimeSpan.FromSeconds(8);
        await using var writer = await StartReplicaAsync(prefix, localLease: lease);
        // A replica may hold a lease from a ping published before the writer subscribed: the writer's first lease is
        // spent waiting for those. Past it, only the replicas it heard count.
        await Task.Delay(lease);
        await using var redis = await fixture.App.ConnectRedisAsync();
        var channel = Channel(prefix);
        var invalidationSeen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var queue = await redis.GetSubscriber().SubscribeAsync(channel);
        queue.OnMessage(message =>
        {
            var header = ((string)message.Message!).Split('\n')[0];
            if (header.StartsWith("i ", StringComparison.Ordinal))
            {
                invalidationSeen.TrySetResult(header);
            }
        });
        var pingedAt = Stopwatch.GetTimestamp();
        await redis.GetSubscriber().PublishAsync(channel, "p slow-replica 1");

        var invalidation = writer.Cache.InvalidateAsync(Scope);

        // The protocol's "i {writer} {n}"; the writer holds until "a {replica} {writer} {n}" comes (or the lease ends).
        var header = (await invalidationSeen.Task.WaitAsync(TimeSpan.FromSeconds(10))).Split(' ');
        await Task.Delay(200);
        Assert.False(invalidation.IsCompleted, "the writer returned before the replica it heard had acknowledged");
        await redis.GetSubscriber().PublishAsync(channel, $"a slow-replica {header[1]} {header[2]}");
        await invalidation.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(Stopwatch.GetElapsedTime(pingedAt) < lease,
            $"the writer returned {Stopwatch.GetElapsedTime(pingedAt)} after the ping: at the lease's end, not on the acknowledgement");
    }

    [Fact]
    public async Task A_replica_that_leaves_serves_nothing_from_process_and_delays_no_write()
    {
        var prefix = TestCaches.NewPrefix();
        // Long enough that returning before its end can only mean the leaving was heard, however slow the machine.
        var lease = TimeSpan.FromSeconds(8);
        await using var writer = await StartReplicaAsync(prefix, localLease: lease);
        await using var leaving = await StartReplicaAsync(prefix, localLease: lease);
        await leaving.Cache.WithCache(Scope, "item", _ => Task.FromResult<Thing?>(new Thing("kept")), CancellationToken.None);
        // Past the writer's first lease only the replicas it heard count: the leaving one, which pings every 2 s.
        await Task.Delay(lease);

        await leaving.Cache.LeaveAsync();
        Assert.False(leaving.Cache.IsServingInProcess, "the replica still serves from process after it left");

        // Silent without a word, it would hold the writer until one lease after its last ping: 6 s at least.
        var started = Stopwatch.GetTimestamp();
        await writer.Cache.InvalidateAsync(Scope);
        Assert.True(Stopwatch.GetElapsedTime(started) < lease / 2,
            $"the writer took {Stopwatch.GetElapsedTime(started)}: it waited for the replica that had left");

        // It stays out: its reads go to Redis (the load runs, the invalidation having dropped the entry there).
        var read = await leaving.Cache.WithCache(Scope, "item", _ => Task.FromResult<Thing?>(new Thing("reloaded")), CancellationToken.None);
        Assert.Equal("reloaded", read!.Name);
        Assert.False(leaving.Cache.IsServingInProcess, "the layer came back after the replica left");
    }

    [Fact]
    public async Task A_writer_whose_last_redis_call_failed_still_reaches_the_other_replicas_before_it_returns()
    {
        var prefix = TestCaches.NewPrefix();
        await using var reader = await StartReplicaAsync(prefix);
        await using var writer = await StartReplicaAsync(prefix);
        await reader.Cache.WithCache(Scope, "item", _ => Task.FromResult<Thing?>(new Thing("old")), CancellationToken.None);

        // One failed call opens the writer's circuit, as a timeout on a busy machine does: a version key of the wrong
        // type makes the read script fail. Redis itself stays healthy, and the reader keeps its lease.
        await using var redis = await fixture.App.ConnectRedisAsync();
        var broken = new CacheScope("broken");
        await redis.GetDatabase().HashSetAsync($"{prefix}:version:{broken.Name}", "not", "a counter");
        await writer.Cache.WithCache(broken, "item", _ => Task.FromResult<Thing?>(new Thing("from the database")), CancellationToken.None);
        Assert.False(writer.Cache.IsServingInProcess, "the failed call did not trip the writer");

        await writer.Cache.InvalidateAsync(Scope);

        Assert.True(reader.Cache.IsServingInProcess, "the reader lost its lease, so this proves nothing");
        var read = await reader.Cache.WithCache(Scope, "item", _ => Task.FromResult<Thing?>(new Thing("new")), CancellationToken.None);
        Assert.Equal("new", read!.Name);
    }

    [Fact]
    public async Task A_replica_whose_subscription_attempt_timed_out_subscribes_once_redis_answers_again()
    {
        // Timeouts as short as the Api's, so that the attempt to subscribe fails while Redis is hung (a busy machine at
        // startup does the same).
        var options = ConfigurationOptions.Parse(await fixture.App.GetConnectionStringAsync("cache"));
        options.AbortOnConnectFail = false;
        options.AsyncTimeout = 500;
        options.SyncTimeout = 500;
        await using var connection = await ConnectionMultiplexer.ConnectAsync(options);
        using var replica = TestCaches.Create(connection, localTimeToLive: TimeSpan.FromHours(1));
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        var pid = await fixture.App.RedisServerPidAsync();
        Task starting;
        Backing.Signal(pid, "STOP");
        try
        {
            starting = replica.StartAsync(stop.Token);
            await Task.Delay(TimeSpan.FromSeconds(3));
        }
        finally
        {
            Backing.Signal(pid, "CONT");
        }

        await starting.WaitAsync(TimeSpan.FromSeconds(30));
        await Eventually.WaitAsync(() => Task.FromResult(replica.IsServingInProcess), serving => serving, TimeSpan.FromSeconds(10),
            () => "the replica subscribed but its in-process layer never started serving");
    }

    [Fact]
    public async Task A_value_loaded_before_an_invalidation_is_not_kept_in_process()
    {
        await using var replica = await StartReplicaAsync(TestCaches.NewPrefix());

        var slowRead = await HeldRead.StartAsync(replica.Cache, Scope, "old");
        await replica.Cache.InvalidateAsync(Scope);
        Assert.Equal("old", (await slowRead.FinishAsync())!.Name);

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

    private Task<CacheReplica> StartReplicaAsync(string prefix, TimeSpan? localTimeToLive = null, TimeSpan? localLease = null) =>
        CacheReplica.StartAsync(fixture.App, prefix, localTimeToLive ?? TimeSpan.FromMinutes(5), localLease: localLease);

    private static RedisChannel Channel(string prefix) => RedisChannel.Literal($"{prefix}:invalidations");

    private static async Task<bool> Delay()
    {
        await Task.Delay(20);
        return true;
    }
}
