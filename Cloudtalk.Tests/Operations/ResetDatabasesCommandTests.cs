using System.Net;
using Cloudtalk.Common.Events;
using Cloudtalk.Common.Messaging;
using Cloudtalk.Tests.Infrastructure;
using Cloudtalk.Tests.Messaging;
using Cloudtalk.Tests.Pipeline;
using Npgsql;
using RabbitMQ.Client;

namespace Cloudtalk.Tests.Operations;

/// <summary>
/// The local-mode dashboard command reset-databases on the postgres resource. It runs against an AppHost of its
/// own: the shared system's data is what the other test classes rely on.
/// </summary>
public sealed class ResetDatabasesCommandTests : IAsyncLifetime
{
    private const string Command = "reset-databases";

    private CloudtalkApp? _app;

    private CloudtalkApp App => _app ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync() => _app = await CloudtalkApp.StartAsync();

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_reset_empties_both_databases_and_the_cache_and_the_system_keeps_working()
    {
        using var client = App.CreateApiClient();
        var product = await client.CreateProductAsync("before reset");
        var review = await client.CreateReviewAsync(product.Id(), 4);
        // The command is meant for an idle system: the review's rating has gone through Rating and back (otherwise
        // Rating could record it after its tables were emptied). The last read has cached the product.
        var apiDatabase = await ApiDatabase.OpenAsync(App);
        await ServedRatings.WaitForAsync(client, apiDatabase, product.Id(), 1, 4);
        await client.GetJsonAsync($"/api/products/{product.Id()}");
        await client.GetJsonAsync($"/api/reviews/{review.Id()}");

        var result = await App.App.ResourceCommands.ExecuteCommandAsync("postgres", Command);
        Assert.True(result.Success, result.Message);

        // As soon as the command has returned: the Api's in-process cache layer (on with one replica) must not answer either.
        using (var gone = await client.GetAsync($"/api/products/{product.Id()}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }

        using (var redis = await App.ConnectRedisAsync())
        {
            // Nothing but the cache's epoch, moved to a value never used before (Redis's clock in ms).
            Assert.Equal(["cloudtalk:epoch"], await redis.CacheKeysAsync("*"));
            Assert.True((long)await redis.GetDatabase().StringGetAsync("cloudtalk:epoch") > 1_000_000_000_000L);
        }

        foreach (var database in new[] { "apidb", "ratingdb" })
        {
            await using var connection = new NpgsqlConnection(await App.GetConnectionStringAsync(database));
            await connection.OpenAsync();
            var tables = await ApplicationTablesAsync(connection);
            Assert.NotEmpty(tables);
            foreach (var table in tables)
            {
                await using var count = new NpgsqlCommand($"SELECT count(*) FROM {table}", connection);
                Assert.True(0L == (long)(await count.ExecuteScalarAsync())!, $"{database}: {table} is not empty");
            }

            // The schema stays: the services go on without migrating again.
            await using var history = new NpgsqlCommand("""SELECT count(*) FROM "__EFMigrationsHistory" """, connection);
            Assert.True((long)(await history.ExecuteScalarAsync())! > 0);
        }

        var list = await client.GetJsonAsync("/api/products");
        Assert.Equal(0, list.GetProperty("totalItems").GetInt32());
        Assert.Empty(list.GetProperty("data").EnumerateArray());
        using (var gone = await client.GetAsync($"/api/products/{product.Id()}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }

        using (var goneReview = await client.GetAsync($"/api/reviews/{review.Id()}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, goneReview.StatusCode);
        }

        // Still working, with ids from 1 again.
        var created = await client.CreateProductAsync("after reset");
        Assert.Equal(1, created.Id());
        var createdReview = await client.CreateReviewAsync(created.Id(), 5);
        Assert.Equal("after reset", (await client.GetJsonAsync($"/api/products/{created.Id()}")).GetProperty("name").GetString());
        Assert.Equal(5, (await client.GetJsonAsync($"/api/reviews/{createdReview.Id()}")).GetProperty("rating").GetInt32());
        // And the rating pipeline with it: Rating starts the product's rating from nothing.
        await ServedRatings.WaitForAsync(client, apiDatabase, created.Id(), 1, 5);
    }

    [Fact]
    public async Task Events_still_queued_at_a_reset_are_purged_and_never_reach_the_product_that_reuses_the_id()
    {
        using var client = App.CreateApiClient();
        var apiDatabase = await ApiDatabase.OpenAsync(App);
        var oldProduct = (await client.CreateProductAsync("before reset")).Id();
        var faults = new SystemFaults(App);
        string[] queues =
        [
            .. MessagingTopology.Queues.Keys,
            .. MessagingTopology.Queues.Keys.Select(MessagingTopology.DeadLetterQueueOf),
        ];

        try
        {
            // Both consumers gone (killed, as in a crash), so the events stay queued, as behind a crashed or
            // restarting service. All of them are about the old product's id, which the first product created after
            // the reset gets again.
            await faults.KillAsync("rating");
            await faults.KillAsync("api");
            await using (var bus = await TestBus.StartAsync(App))
            {
                await bus.PublishAsync(new ReviewCreated(ReviewId: 999_999, oldProduct, Rating: 1, ReviewVersion: 1));
                await bus.PublishAsync(new RatingUpdated(oldProduct, AverageRating: 1, ReviewCount: 1, Version: 1));
                // And a dead letter, as a consumer leaves one: routed by the name of the queue it came from.
                await using (var channel = await bus.Connection.CreateChannelAsync())
                {
                    await channel.BasicPublishAsync(MessagingTopology.DeadLetterExchange, MessagingTopology.ApiRatingUpdatedQueue,
                        mandatory: true, new BasicProperties { Persistent = true }, TestBus.Utf8("{}"));
                }

                await Eventually.WaitAsync(() => QueuedAsync(bus.Connection, queues), queued => queued.Values.Sum(count => (long)count) == 3,
                    TestBus.ConvergenceTimeout, () => "the events were not queued");
            }

            var result = await App.App.ResourceCommands.ExecuteCommandAsync("postgres", Command);
            Assert.True(result.Success, result.Message);

            await using (var connection = await TestBus.ConnectAsync(App))
            {
                Assert.All(await QueuedAsync(connection, queues), queue => Assert.Equal(0u, queue.Value));
            }

            await faults.StartAsync("api");
            await faults.StartAsync("rating");

            var product = (await client.CreateProductAsync("after reset")).Id();
            Assert.Equal(oldProduct, product);
            await client.CreateReviewAsync(product, 5);

            // Its own review only: the old review-created, had it stayed queued, would have been counted too (2 reviews at 3.0).
            await ServedRatings.WaitForAsync(client, apiDatabase, product, 1, 5);
            await using (var connection = await TestBus.ConnectAsync(App))
            {
                Assert.All(await QueuedAsync(connection, queues), queue => Assert.Equal(0u, queue.Value));
            }
        }
        finally
        {
            await faults.EnsureRunningAsync("api");
            await faults.EnsureRunningAsync("rating");
        }
    }

    private static async Task<Dictionary<string, uint>> QueuedAsync(IConnection connection, IEnumerable<string> queues)
    {
        await using var channel = await connection.CreateChannelAsync();
        var counts = new Dictionary<string, uint>();
        foreach (var queue in queues)
        {
            counts[queue] = await channel.MessageCountAsync(queue);
        }

        return counts;
    }

    private static async Task<List<string>> ApplicationTablesAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand("""
            SELECT format('%I.%I', schemaname, tablename) FROM pg_catalog.pg_tables
            WHERE schemaname NOT IN ('pg_catalog', 'information_schema') AND tablename <> '__EFMigrationsHistory'
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var tables = new List<string>();
        while (await reader.ReadAsync())
        {
            tables.Add(reader.GetString(0));
        }

        return tables;
    }
}
