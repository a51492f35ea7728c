using System.Diagnostics.Metrics;
using Cloudtalk.Common.Caching;
using Cloudtalk.Tests.Infrastructure;
using Cloudtalk.Tests.Messaging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Cloudtalk.Tests.Caching;

/// <summary>
/// <see cref="CacheAside"/> helpers on the system's real Redis for the caching tests, each under a key prefix of its
/// own so that tests never see each other's keys.
/// </summary>
internal static class TestCaches
{
    public static string NewPrefix() => $"test-{Guid.NewGuid():N}";

    /// <param name="redis">The connection.</param>
    /// <param name="prefix">The key prefix (default: a new one).</param>
    /// <param name="timeToLive">The Redis entries' time to live (default 5 minutes).</param>
    /// <param name="localTimeToLive">The in-process layer's time to live (default: off).</param>
    /// <param name="localLease">The in-process layer's lease (default: the service's, 1 s).</param>
    /// <param name="localMaxBytes">The in-process layer's budget (default: the service's).</param>
    /// <param name="meterFactory">Where its metrics go (default: a meter of its own).</param>
    public static CacheAside Create(IConnectionMultiplexer redis, string? prefix = null, TimeSpan? timeToLive = null,
        TimeSpan? localTimeToLive = null, TimeSpan? localLease = null, long? localMaxBytes = null,
        IMeterFactory? meterFactory = null) =>
        new(redis, Options.Create(new CacheOptions
        {
            KeyPrefix = prefix ?? NewPrefix(),
            TimeToLive = timeToLive ?? TimeSpan.FromMinutes(5),
            OperationTimeout = TimeSpan.FromSeconds(2),
            LocalTimeToLive = localTimeToLive ?? TimeSpan.Zero,
            LocalLease = localLease ?? new CacheOptions().LocalLease,
            LocalMaxBytes = localMaxBytes ?? new CacheOptions().LocalMaxBytes,
        }), NullLogger<CacheAside>.Instance, meterFactory);
}

/// <summary>A started helper with a Redis connection of its own: one Api replica, as far as the cache goes.</summary>
internal sealed record CacheReplica(string Prefix, ConnectionMultiplexer Connection, CacheAside Cache) : IAsyncDisposable
{
    /// <param name="app">The system whose Redis is used.</param>
    /// <param name="prefix">The key prefix (replicas of one "service" share it).</param>
    /// <param name="localTimeToLive">The in-process layer's time to live.</param>
    /// <param name="database">The Redis database (default: the one the Api uses).</param>
    /// <param name="localLease">The in-process layer's lease (default: the service's, 1 s).</param>
    /// <param name="localMaxBytes">The in-process layer's budget (default: the service's).</param>
    /// <param name="meterFactory">Where its metrics go (default: a meter of its own).</param>
    public static async Task<CacheReplica> StartAsync(CloudtalkApp app, string prefix, TimeSpan localTimeToLive, int? database = null,
        TimeSpan? localLease = null, long? localMaxBytes = null, IMeterFactory? meterFactory = null)
    {
        var connection = await app.ConnectRedisAsync(database);
        var cache = TestCaches.Create(connection, prefix, localTimeToLive: localTimeToLive, localLease: localLease,
            localMaxBytes: localMaxBytes, meterFactory: meterFactory);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await cache.StartAsync(timeout.Token);
        // Serving starts with the first lease, once the replica's first ping has come back.
        await Eventually.WaitAsync(() => Task.FromResult(cache.IsServingInProcess), serving => serving, TimeSpan.FromSeconds(10),
            () => "the replica's in-process layer never started serving");
        return new CacheReplica(prefix, connection, cache);
    }

    public async ValueTask DisposeAsync()
    {
        Cache.Dispose();
        await Connection.DisposeAsync();
    }
}

/// <summary>
/// A read through the cache whose load has read "the database" and is held before it returns, so that a test can
/// write (invalidate, replace, reset) while the old value is on its way to the cache.
/// </summary>
internal sealed class HeldRead
{
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task<Thing?> _read = Task.FromResult<Thing?>(null);

    /// <summary>Starts the read of <paramref name="scope"/>'s "item" and returns once its load has begun.</summary>
    public static async Task<HeldRead> StartAsync(CacheAside cache, CacheScope scope, string loaded)
    {
        var held = new HeldRead();
        held._read = cache.WithCache(scope, "item", async _ =>
        {
            held._started.SetResult();
            await held._gate.Task;
            return new Thing(loaded);
        }, CancellationToken.None);
        await held._started.Task;
        return held;
    }

    /// <summary>Lets the load return and waits for the read's answer.</summary>
    public async Task<Thing?> FinishAsync()
    {
        _gate.SetResult();
        return await _read;
    }
}

/// <summary>What the caching tests cache.</summary>
internal sealed record Thing(string Name);
