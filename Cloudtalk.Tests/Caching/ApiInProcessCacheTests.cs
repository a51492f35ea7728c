using System.Diagnostics;
using System.Net;
using Cloudtalk.Tests.Infrastructure;
using Cloudtalk.Tests.Messaging;
using Cloudtalk.Tests.Rating;

namespace Cloudtalk.Tests.Caching;

/// <summary>
/// The running Api processes of a system, each addressed directly (not through the AppHost's proxy, which picks a
/// replica itself). They are found by their apidb connection string, which is the system's own.
/// </summary>
internal static class ApiProcesses
{
    public static async Task<List<Uri>> AddressesAsync(CloudtalkApp app) =>
        [.. (await ProcessesAsync(app)).Select(process => process.Address)];

    /// <summary>Each Api process of the system: its pid and its own address, once it answers there.</summary>
    public static async Task<List<(int Pid, Uri Address)>> ProcessesAsync(CloudtalkApp app)
    {
        var apiDatabase = await app.GetConnectionStringAsync("apidb");
        List<(int Pid, Uri Address)> processes = [.. ProcessTable.WithEnvironmentEntry($"ConnectionStrings__apidb={apiDatabase}")
            .Where(pid => ProcessTable.Name(pid) == "Cloudtalk.Api")
            .Select(pid => (pid, new Uri(HttpUrlOf(pid))))];
        // A replica counts as healthy when the AppHost's check passes, which may go through its proxy: wait until each
        // process answers on its own port (in CI one did not yet, right after the system started).
        using var probe = new HttpClient();
        foreach (var (_, address) in processes)
        {
            await Eventually.WaitAsync(() => AnswersAsync(probe, address), answers => answers, TimeSpan.FromSeconds(60),
                () => $"the Api process at {address} never answered /health");
        }

        return processes;
    }

    private static async Task<bool> AnswersAsync(HttpClient client, Uri address)
    {
        try
        {
            using var response = await client.GetAsync(new Uri(address, "/health"));
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private static string HttpUrlOf(int pid) =>
        File.ReadAllText($"/proc/{pid}/environ").Split('\0')
            .Where(entry => entry.StartsWith("ASPNETCORE_URLS=", StringComparison.Ordinal))
            .SelectMany(entry => entry["ASPNETCORE_URLS=".Length..].Split(';'))
            .First(url => url.StartsWith("http://", StringComparison.Ordinal));

    /// <summary>
    /// Whether <paramref name="client"/>'s process answers product <paramref name="id"/> from its own memory: the Redis
    /// entry is overwritten behind its back, and the process still answers what it read before.
    /// </summary>
    /// <remarks>
    /// Tried for up to <see cref="LayerTimeout"/>, not a fixed number of times: one Redis call slower than the
    /// operation timeout (a loaded machine, a replica still warming up) opens the process's circuit for its break
    /// duration and switches the layer off until Redis answers again, which quick attempts can all fall into.
    /// </remarks>
    public static async Task<MemoryProbe> ProbeInProcessLayerAsync(CloudtalkApp app, HttpClient client, long id)
    {
        await using var redis = await app.ConnectRedisAsync();
        var trying = Stopwatch.StartNew();
        var attempts = 0;
        var withRedisEntry = 0;
        while (trying.Elapsed < LayerTimeout)
        {
            attempts++;
            var read = await client.GetJsonAsync($"/api/products/{id}");
            // An attempt counts only if there was a Redis entry to tamper with: without one, any answer would pass.
            var keys = await redis.CacheKeysAsync($"cloudtalk:*:product:{id}:item");
            foreach (var key in keys)
            {
                var tampered = (await redis.GetDatabase().StringGetAsync(key)).ToString()
                    .Replace(read.GetProperty("name").GetString()!, "tampered in redis", StringComparison.Ordinal);
                await redis.GetDatabase().StringSetAsync(key, tampered);
            }

            var again = await client.GetJsonAsync($"/api/products/{id}");
            withRedisEntry += keys.Count > 0 ? 1 : 0;
            if (keys.Count > 0 && again.GetProperty("name").GetString() == read.GetProperty("name").GetString())
            {
                return new MemoryProbe(true, attempts, withRedisEntry, trying.Elapsed);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }

        return new MemoryProbe(false, attempts, withRedisEntry, trying.Elapsed);
    }

    /// <summary>
    /// What <see cref="ProbeInProcessLayerAsync"/> saw. Attempts without a Redis entry point at an open circuit (the
    /// process did not store in Redis either); with one, at a layer that is off while Redis answers.
    /// </summary>
    public sealed record MemoryProbe(bool Answered, int Attempts, int WithRedisEntry, TimeSpan Elapsed)
    {
        public override string ToString() => Answered
            ? $"answered from memory at attempt {Attempts}, after {Elapsed.TotalSeconds:0.0} s"
            : $"never answered from memory in {Attempts} attempts over {Elapsed.TotalSeconds:0.0} s, {WithRedisEntry} of them with a Redis entry";
    }

    /// <summary>Several circuit breaks and leases: a layer still off after this is off for good.</summary>
    private static readonly TimeSpan LayerTimeout = TimeSpan.FromSeconds(20);
}

/// <summary>One Api replica: the in-process layer (on by default) answers hot reads, and writes drop its entries.</summary>
[Collection(CloudtalkCollection.Name)]
public sealed class ApiInProcessCacheTests(CloudtalkAppFixture fixture)
{
    [Fact]
    public async Task The_Api_answers_a_hot_product_from_its_own_memory_until_a_write()
    {
        using var api = new HttpClient { BaseAddress = Assert.Single(await ApiProcesses.AddressesAsync(fixture.App)) };
        var product = await api.CreateProductAsync("in memory");
        var id = product.Id();

        var probe = await ApiProcesses.ProbeInProcessLayerAsync(fixture.App, api, id);
        Assert.True(probe.Answered, $"the Api read its product from Redis every time: {probe}");

        using var put = await api.PutJsonAsync($"/api/products/{id}", new { name = "written" });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal("written", (await api.GetJsonAsync($"/api/products/{id}")).GetProperty("name").GetString());
    }
}

/// <summary>
/// Several Api replicas, each with the in-process layer on: a read on one replica that starts after another replica
/// answered a write never returns the old value.
/// </summary>
[Collection(ReplicatedRatingCollection.Name)]
public sealed class ReplicatedApiInProcessCacheTests(ReplicatedRatingFixture fixture)
{
    [Fact]
    public async Task A_read_on_one_replica_after_a_write_on_another_is_never_stale()
    {
        var replicas = await ApiProcesses.AddressesAsync(fixture.App);
        Assert.Equal(ReplicatedRatingFixture.ApiReplicas, replicas.Count);
        using var writer = new HttpClient { BaseAddress = replicas[0] };
        using var reader = new HttpClient { BaseAddress = replicas[1] };
        var product = await writer.CreateProductAsync("round 0");
        var id = product.Id();
        var probe = await ApiProcesses.ProbeInProcessLayerAsync(fixture.App, reader, id);
        Assert.True(probe.Answered, $"the reading replica's in-process layer is off: {probe}");

        for (var round = 1; round <= 20; round++)
        {
            // Warm the reader's in-process entry, then write through the other replica.
            await reader.GetJsonAsync($"/api/products/{id}");
            await reader.GetJsonAsync($"/api/products/{id}");
            using var put = await writer.PutJsonAsync($"/api/products/{id}", new { name = $"round {round}" });
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);

            var read = await reader.GetJsonAsync($"/api/products/{id}");
            Assert.Equal($"round {round}", read.GetProperty("name").GetString());
        }
    }

    [Fact]
    public async Task A_replica_frozen_through_a_write_does_not_serve_the_old_value_when_it_wakes()
    {
        var replicas = await ApiProcesses.ProcessesAsync(fixture.App);
        Assert.Equal(ReplicatedRatingFixture.ApiReplicas, replicas.Count);
        using var writer = new HttpClient { BaseAddress = replicas[0].Address };
        using var reader = new HttpClient { BaseAddress = replicas[1].Address };
        var id = (await writer.CreateProductAsync("before the freeze")).Id();
        var probe = await ApiProcesses.ProbeInProcessLayerAsync(fixture.App, reader, id);
        Assert.True(probe.Answered, $"the reading replica's in-process layer is off: {probe}");
        await reader.GetJsonAsync($"/api/products/{id}");

        // Frozen (as by a long GC pause or a stopped VM), it cannot acknowledge: the writer answers once its lease is over.
        Backing.Signal(replicas[1].Pid, "STOP");
        try
        {
            using var put = await writer.PutJsonAsync($"/api/products/{id}", new { name = "written during the freeze" });
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }
        finally
        {
            Backing.Signal(replicas[1].Pid, "CONT");
        }

        // Woken, it still holds the old entry and the invalidation is still unread in its socket; its lease is over.
        var read = await reader.GetJsonAsync($"/api/products/{id}");
        Assert.Equal("written during the freeze", read.GetProperty("name").GetString());
    }
}
