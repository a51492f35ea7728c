using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Cloudtalk.Api.Products;
using Cloudtalk.Common.Caching;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Cloudtalk.Benchmarks.Micro;

/// <summary>
/// <see cref="CacheAside.WithCache{T}"/> on a hit, against a real redis-server started for the run on loopback:
/// in Redis (one Lua round trip plus deserialization) and in the in-process layer (a dictionary lookup).
/// </summary>
[MemoryDiagnoser]
public class CacheAsideBenchmarks : IDisposable
{
    private static readonly CacheScope Scope = new("product:1");
    private readonly ProductResponse _product = new(1, "Desk lamp", "Warm light", 39.9m, 4.5, 2,
        new DateTime(2026, 11, 24, 10, 0, 0, DateTimeKind.Utc), new DateTime(2026, 11, 24, 10, 5, 0, DateTimeKind.Utc));

    private Process _redisServer = null!;
    private ConnectionMultiplexer _redis = null!;
    private CacheAside _cache = null!;
    private CacheAside _inProcess = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var port = FreePort();
        _redisServer = Process.Start(new ProcessStartInfo("redis-server",
            ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        {
            RedirectStandardOutput = true,
        }) ?? throw new InvalidOperationException("redis-server did not start (apt-get install redis-server).");

        for (var attempt = 0; ; attempt++)
        {
            try
            {
                _redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port}");
                break;
            }
            catch (RedisConnectionException) when (attempt < 50)
            {
                await Task.Delay(100);
            }
        }

        _cache = new CacheAside(_redis, Options.Create(new CacheOptions()), NullLogger<CacheAside>.Instance);
        // Fill the entry (the first call also bumps the epoch, as a fresh process does).
        await _cache.WithCache(Scope, "item", _ => Task.FromResult<ProductResponse?>(_product), CancellationToken.None);
        await _cache.WithCache(Scope, "item", _ => Task.FromResult<ProductResponse?>(_product), CancellationToken.None);

        // Started: subscribed to invalidations, so its in-process layer serves hits.
        _inProcess = new CacheAside(_redis, Options.Create(new CacheOptions { LocalTimeToLive = TimeSpan.FromHours(1) }),
            NullLogger<CacheAside>.Instance);
        await _inProcess.StartAsync(CancellationToken.None);
        // The layer serves from its first lease on, once its first ping has come back through Redis.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!_inProcess.IsServingInProcess)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException("The in-process layer never started serving.");
            }

            await Task.Delay(10);
        }

        await _inProcess.WithCache(Scope, "item", _ => Task.FromResult<ProductResponse?>(_product), CancellationToken.None);
    }

    /// <summary>A hit in Redis: what every replica pays without the in-process layer.</summary>
    [Benchmark(Baseline = true)]
    public Task<ProductResponse?> RedisHit() =>
        _cache.WithCache<ProductResponse>(Scope, "item", _ => throw new InvalidOperationException("a hit never loads"), CancellationToken.None);

    /// <summary>A hit in the in-process layer (the hot path of GET /api/products/{id}).</summary>
    [Benchmark]
    public Task<ProductResponse?> InProcessHit() =>
        _inProcess.WithCache<ProductResponse>(Scope, "item", _ => throw new InvalidOperationException("a hit never loads"), CancellationToken.None);

    [GlobalCleanup]
    public void Dispose()
    {
        _cache.Dispose();
        _inProcess.Dispose();
        _redis.Dispose();
        _redisServer.Kill();
        _redisServer.Dispose();
        GC.SuppressFinalize(this);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
