using System.Diagnostics.Metrics;
using Cloudtalk.Common.Caching;
using Cloudtalk.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Cloudtalk.Tests.Caching;

/// <summary>
/// The <c>cloudtalk.cache.reads</c> counter, against the system's real Redis: each read through
/// <see cref="CacheAside.WithCache{T}"/> counts once, under the layer that answered it. The helpers get a meter factory
/// of the test's own, so reads of tests running beside it are not counted.
/// </summary>
[Collection(CloudtalkCollection.Name)]
public sealed class CacheReadMetricTests(CloudtalkAppFixture fixture)
{
    private static readonly CacheScope Scope = new("thing:1");

    [Fact]
    public async Task Each_read_counts_once_under_the_layer_that_answered_it()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meterFactory = services.GetRequiredService<IMeterFactory>();
        using var reads = new MetricCollector<long>(meterFactory, "Cloudtalk.Caching", "cloudtalk.cache.reads");
        var prefix = TestCaches.NewPrefix();

        // A helper without the in-process layer, which has made its first contact (a fresh helper's first contact
        // retires every entry), and one with the layer, started after it.
        await using var connection = await fixture.App.ConnectRedisAsync();
        using var withoutLayer = TestCaches.Create(connection, prefix, meterFactory: meterFactory);
        await withoutLayer.RetireMissedInvalidationsAsync();
        await using var replica = await CacheReplica.StartAsync(fixture.App, prefix, TimeSpan.FromMinutes(5), meterFactory: meterFactory);

        var loaded = await replica.Cache.WithCache(Scope, "item", _ => Task.FromResult<Thing?>(new Thing("v1")), CancellationToken.None);
        var inProcess = await replica.Cache.WithCache<Thing>(Scope, "item", _ => throw new InvalidOperationException("not a hit"), CancellationToken.None);
        var fromRedis = await withoutLayer.WithCache<Thing>(Scope, "item", _ => throw new InvalidOperationException("not a hit"), CancellationToken.None);

        Assert.Equal(["v1", "v1", "v1"], [loaded!.Name, inProcess!.Name, fromRedis!.Name]);
        var measurements = reads.GetMeasurementSnapshot();
        Assert.Equal(["source", "process", "redis"], measurements.Select(measurement => (string?)measurement.Tags["cloudtalk.cache.layer"]));
        Assert.All(measurements, measurement => Assert.Equal(1, measurement.Value));
    }
}
