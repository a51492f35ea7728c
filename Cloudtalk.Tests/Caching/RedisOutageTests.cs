using System.Net;
using Cloudtalk.Common.Caching;
using Cloudtalk.Tests.Infrastructure;
using StackExchange.Redis;

namespace Cloudtalk.Tests.Caching;

/// <summary>
/// Redis stops or hangs during a test: the Api keeps answering, correctly, from PostgreSQL, and after Redis
/// is back no value that went stale meanwhile is served. Each test leaves Redis running and healthy.
/// </summary>
[Collection(CloudtalkCollection.Name)]
public sealed class RedisOutageTests(CloudtalkAppFixture fixture)
{
    private static readonly TimeSpan RecoveryWait = TimeSpan.FromSeconds(30);

    private static readonly CacheScope Scope = new("thing:1");
    private readonly HttpClient _client = fixture.App.CreateApiClient();

    [Fact]
    public async Task Redis_stopped_and_started_again_answers_stay_correct_throughout()
    {
        var product = await _client.CreateProductAsync("before outage");
        var id = product.Id();
        var review = await _client.CreateReviewAsync(id, rating: 1);
        await _client.GetJsonAsync($"/api/products/{id}");
        await _client.GetJsonAsync($"/api/products/{id}/reviews");

        using var logs = ResourceLogs.Watch(fixture.App, "api");
        var faults = new SystemFaults(fixture.App);
        await faults.StopAsync("redis");
        try
        {
            // Reads and writes go on against PostgreSQL.
            var duringOutage = await _client.GetJsonAsync($"/api/products/{id}");
            Assert.Equal("before outage", duringOutage.GetProperty("name").GetString());
            using (var put = await _client.PutJsonAsync($"/api/products/{id}", new { name = "during outage" }))
            {
                Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            }

            using (var putReview = await _client.PutJsonAsync($"/api/reviews/{review.Id()}", new { rating = 5 }))
            {
                Assert.Equal(HttpStatusCode.OK, putReview.StatusCode);
            }

            var created = await _client.CreateProductAsync("created during outage");
            Assert.Equal("during outage", (await _client.GetJsonAsync($"/api/products/{id}")).GetProperty("name").GetString());
            Assert.Equal(5, (await _client.GetJsonAsync($"/api/products/{id}/reviews")).GetProperty("data")[0].GetProperty("rating").GetInt32());
            Assert.Equal("created during outage",
                (await _client.GetJsonAsync($"/api/products/{created.Id()}")).GetProperty("name").GetString());

            // The cache is optional: readiness stays 200, Degraded, with the Redis check named.
            var health = await _client.GetJsonAsync("/health");
            Assert.Equal("Degraded", health.GetProperty("status").GetString());
            Assert.Equal("Degraded", health.GetProperty("checks").GetProperty("StackExchange.Redis").GetString());
        }
        finally
        {
            await faults.EnsureRunningAsync("redis");
        }

        // Redis is back: the Api uses it again and still answers what was written during the outage.
        await using var redis = await fixture.App.ConnectRedisAsync();
        await WaitUntilAsync(async () =>
        {
            Assert.Equal("during outage", (await _client.GetJsonAsync($"/api/products/{id}")).GetProperty("name").GetString());
            return (await redis.CacheKeysAsync($"cloudtalk:*:product:{id}:item")).Count > 0;
        });
        Assert.Equal(5, (await _client.GetJsonAsync($"/api/products/{id}/reviews")).GetProperty("data")[0].GetProperty("rating").GetInt32());

        using (var after = await _client.PutJsonAsync($"/api/products/{id}", new { name = "after outage" }))
        {
            Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        }

        Assert.Equal("after outage", (await _client.GetJsonAsync($"/api/products/{id}")).GetProperty("name").GetString());
        await WaitUntilAsync(async () => (await _client.GetJsonAsync("/health")).GetProperty("status").GetString() == "Healthy");

        // The outage was logged as warnings, without the Redis password and without a stack trace.
        var password = (await fixture.App.GetConnectionStringAsync("cache")).Split("password=")[1].Split(',')[0];
        var lines = logs.Lines;
        Assert.Contains(lines, line => line.Contains("Redis unavailable", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("could not reach Redis", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, line => line.Contains(password, StringComparison.Ordinal));
        logs.AssertNoStackTrace();
    }

    [Fact]
    public async Task Redis_hung_during_a_write_never_serves_the_value_cached_before_it()
    {
        var product = await _client.CreateProductAsync("cached before hang");
        var id = product.Id();
        await _client.GetJsonAsync($"/api/products/{id}");
        await _client.GetJsonAsync($"/api/products?limit=1000&page=1");
        await using var redis = await fixture.App.ConnectRedisAsync();
        Assert.NotEmpty(await redis.CacheKeysAsync($"cloudtalk:*:product:{id}:item"));
        var epochBefore = (long)await redis.GetDatabase().StringGetAsync("cloudtalk:epoch");

        // SIGSTOP keeps Redis's data (unlike a restart), so the entry cached above would still be there.
        var pid = await fixture.App.RedisServerPidAsync();
        Backing.Signal(pid, "STOP");
        try
        {
            Assert.Equal("cached before hang", (await _client.GetJsonAsync($"/api/products/{id}")).GetProperty("name").GetString());
            using (var put = await _client.PutJsonAsync($"/api/products/{id}", new { name = "written during hang" }))
            {
                Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            }

            Assert.Equal("written during hang", (await _client.GetJsonAsync($"/api/products/{id}")).GetProperty("name").GetString());
        }
        finally
        {
            Backing.Signal(pid, "CONT");
        }

        // Once the Api reaches Redis again it retires every older entry (epoch bump) before using the cache.
        await WaitUntilAsync(async () =>
        {
            Assert.Equal("written during hang", (await _client.GetJsonAsync($"/api/products/{id}")).GetProperty("name").GetString());
            var list = await _client.GetJsonAsync("/api/products?limit=1000&page=1");
            Assert.Contains(list.GetProperty("data").EnumerateArray(),
                p => p.Id() == id && p.GetProperty("name").GetString() == "written during hang");
            var epoch = (long)await redis.GetDatabase().StringGetAsync("cloudtalk:epoch");
            return epoch > epochBefore;
        });
        Assert.Equal("written during hang", (await _client.GetJsonAsync($"/api/products/{id}")).GetProperty("name").GetString());
        await WaitUntilAsync(async () => (await _client.GetJsonAsync("/health")).GetProperty("status").GetString() == "Healthy");
    }

    [Fact]
    public async Task A_replica_that_missed_an_invalidation_retires_the_cache_without_waiting_for_its_next_call()
    {
        // Two helpers on one prefix: a writer and a reader replica, each with its own connection.
        var prefix = TestCaches.NewPrefix();
        await using var writerConnection = await fixture.App.ConnectRedisAsync();
        await using var readerConnection = await fixture.App.ConnectRedisAsync();
        using var writer = TestCaches.Create(writerConnection, prefix);
        using var reader = TestCaches.Create(readerConnection, prefix);
        await writer.RetireMissedInvalidationsAsync();
        await reader.WithCache(Scope, "item", _ => Task.FromResult<Thing?>(new Thing("old")), CancellationToken.None);

        var pid = await fixture.App.RedisServerPidAsync();
        Backing.Signal(pid, "STOP");
        try
        {
            // The writer's read times out and opens its circuit, so its invalidation is not even sent: missed.
            await writer.WithCache(new CacheScope("other"), "item", _ => Task.FromResult<Thing?>(new Thing("x")), CancellationToken.None);
            await writer.InvalidateAsync(Scope);
        }
        finally
        {
            Backing.Signal(pid, "CONT");
        }

        // No further call on the writer: the reader, which saw no failure, must stop serving "old" by itself.
        await WaitUntilAsync(async () =>
            (await reader.WithCache(Scope, "item", _ => Task.FromResult<Thing?>(new Thing("new")), CancellationToken.None))!.Name == "new");
    }

    /// <summary>Repeats a check (which asserts on every round) until it reports done, for up to 30 s.</summary>
    private static async Task WaitUntilAsync(Func<Task<bool>> check)
    {
        var deadline = DateTime.UtcNow + RecoveryWait;
        while (!await check())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not hold within 30 s of Redis coming back.");
            await Task.Delay(200);
        }
    }
}
