using Cloudtalk.Common.Caching;
using Cloudtalk.Tests.Infrastructure;
using Cloudtalk.Tests.Messaging;

namespace Cloudtalk.Tests.Caching;

/// <summary>
/// <see cref="CacheReset"/> (what the reset-databases command runs) against running helpers with their in-process
/// layer on. It flushes a whole Redis database, so these tests use a database of their own (not the Api's), with a
/// key prefix of their own (the pub/sub channel is named after it).
/// </summary>
[Collection(CloudtalkCollection.Name)]
public sealed class CacheResetTests(CloudtalkAppFixture fixture)
{
    private const int OwnDatabase = 7;
    private static readonly CacheScope Scope = new("thing:1");

    [Fact]
    public async Task A_reset_empties_the_database_and_every_replicas_in_process_layer()
    {
        var prefix = TestCaches.NewPrefix();
        await using var first = await StartReplicaAsync(prefix);
        await using var second = await StartReplicaAsync(prefix);
        foreach (var replica in new[] { first, second })
        {
            await replica.Cache.WithCache(Scope, "item", _ => Task.FromResult<Thing?>(new Thing("before")), CancellationToken.None);
        }

        await CacheReset.FlushAndRetireEverythingAsync(first.Connection.GetDatabase(), prefix);

        Assert.Empty(await first.Connection.CacheKeysAsync($"{prefix}:*:thing:*"));
        // Pub/sub is asynchronous: each replica stops serving "before" as soon as the message is in.
        foreach (var replica in new[] { first, second })
        {
            Assert.Equal("after", await ReadUntilChangedAsync(replica, from: "before", now: "after"));
        }
    }

    [Fact]
    public async Task A_value_loaded_before_a_reset_is_kept_neither_in_redis_nor_in_process()
    {
        var prefix = TestCaches.NewPrefix();
        await using var replica = await StartReplicaAsync(prefix);

        // The load reads "the database" before the reset and finishes after it.
        var slowRead = await HeldRead.StartAsync(replica.Cache, Scope, "before");
        await CacheReset.FlushAndRetireEverythingAsync(replica.Connection.GetDatabase(), prefix);
        Assert.Equal("before", (await slowRead.FinishAsync())!.Name);

        Assert.Empty(await replica.Connection.CacheKeysAsync($"{prefix}:*:thing:*"));
        // Whether the in-process layer refused the late value or dropped it when the reset's message came in,
        // "before" is not served for long (the layer's time to live here is 5 minutes).
        Assert.Equal("after", await ReadUntilChangedAsync(replica, from: "before", now: "after"));
    }

    [Fact]
    public async Task Every_reset_moves_the_epoch_past_every_value_it_had()
    {
        var prefix = TestCaches.NewPrefix();
        await using var replica = await StartReplicaAsync(prefix);
        var database = replica.Connection.GetDatabase();
        var epochKey = $"{prefix}:epoch";

        // A small epoch (as a server that has not been reset yet has): Redis's clock in ms is the larger.
        var clock = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await database.StringSetAsync(epochKey, 1);
        var fromClock = await CacheReset.FlushAndRetireEverythingAsync(database, prefix);
        Assert.InRange(fromClock, clock - 5_000, clock + 60_000);

        // An epoch ahead of the clock (as after bumps in the same millisecond): the next one is still above it.
        var ahead = DateTimeOffset.UtcNow.AddYears(100).ToUnixTimeMilliseconds();
        await database.StringSetAsync(epochKey, ahead);
        var first = await CacheReset.FlushAndRetireEverythingAsync(database, prefix);
        var second = await CacheReset.FlushAndRetireEverythingAsync(database, prefix);

        Assert.Equal(ahead + 1, first);
        Assert.Equal(ahead + 2, second);
        Assert.Equal(second, (long)await database.StringGetAsync(epochKey));
    }

    private Task<CacheReplica> StartReplicaAsync(string prefix) =>
        CacheReplica.StartAsync(fixture.App, prefix, TimeSpan.FromMinutes(5), OwnDatabase);

    // Pub/sub is asynchronous: polls until the replica no longer serves the old value (the project's Eventually).
    private static Task<string> ReadUntilChangedAsync(CacheReplica replica, string from, string now) =>
        Eventually.WaitAsync(
            async () => (await replica.Cache.WithCache(Scope, "item", _ => Task.FromResult<Thing?>(new Thing(now)), CancellationToken.None))!.Name,
            seen => seen != from, TimeSpan.FromSeconds(5), () => $"the replica still serves \"{from}\"");
}
