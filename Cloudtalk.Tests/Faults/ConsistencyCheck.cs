using System.Globalization;
using System.Text.Json;
using Cloudtalk.Common.Messaging;
using Cloudtalk.Tests.Infrastructure;
using Npgsql;
using RabbitMQ.Client;

namespace Cloudtalk.Tests.Faults;

/// <summary>
/// What must hold once the writes have settled, checked against the real stores: every acknowledged write is
/// there, every product's served rating equals the exact recomputation from the Api's database, no outbox holds
/// an unsent event, no consuming queue holds a message, and no dead-letter queue holds one about these products.
/// (On the shared test system other tests leave dead letters of their own on purpose, e.g. ratings of products
/// the Api never had.)
/// </summary>
public static class ConsistencyCheck
{
    private static readonly string[] Queues = [MessagingTopology.RatingReviewEventsQueue, MessagingTopology.ApiRatingUpdatedQueue];

    /// <summary>The first thing found wrong, or null when everything holds.</summary>
    public static async Task<string?> FindProblemAsync(CloudtalkApp app, HttpClient api, ReviewWriteLoad load, IReadOnlyList<long> products)
    {
        try
        {
            await using var apiDb = await app.OpenApiDatabaseAsync();
            return await LostWriteAsync(apiDb, load)
                ?? await WrongRatingAsync(apiDb, api, products)
                ?? await UnsentAsync(apiDb, "apidb")
                ?? await UnsentInRatingAsync(app)
                ?? await QueuedAsync(app, products);
        }
        catch (Exception exception) when (exception is NpgsqlException or HttpRequestException or TaskCanceledException
                                              or RabbitMQ.Client.Exceptions.BrokerUnreachableException)
        {
            return $"a store is not reachable yet ({exception.GetType().Name})";
        }
    }

    private static async Task<string?> LostWriteAsync(NpgsqlConnection db, ReviewWriteLoad load)
    {
        var stored = new Dictionary<long, int>();
        await using (var command = new NpgsqlCommand("SELECT id, rating FROM reviews WHERE id = ANY($1)", db))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = load.Acknowledged.Keys.Concat(load.Deleted).ToArray() });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                stored[reader.GetInt64(0)] = reader.GetInt32(1);
            }
        }

        foreach (var review in load.Acknowledged.Values)
        {
            if (!stored.TryGetValue(review.ReviewId, out var rating))
            {
                return $"acknowledged review {review.ReviewId} is missing";
            }

            if (rating != review.Rating)
            {
                return $"review {review.ReviewId} has rating {rating}, acknowledged {review.Rating}";
            }
        }

        return load.Deleted.FirstOrDefault(stored.ContainsKey) is var resurrected and not 0
            ? $"review {resurrected} was deleted (204) but is there"
            : null;
    }

    private static async Task<string?> WrongRatingAsync(NpgsqlConnection db, HttpClient api, IReadOnlyList<long> products)
    {
        var expected = new Dictionary<long, (double Average, int Count)>();
        // The products row too: a failure then says whether the database or the cache in front of it is behind.
        var stored = new Dictionary<long, (double Average, int Count, long Version)>();
        await using (var command = new NpgsqlCommand(
            "SELECT p.id, COALESCE(AVG(r.rating::float8), 0), COUNT(r.id)::int, p.average_rating, p.review_count, p.rating_version " +
            "FROM products p " +
            "LEFT JOIN reviews r ON r.product_id = p.id WHERE p.id = ANY($1) GROUP BY p.id", db))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = products.ToArray() });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                expected[reader.GetInt64(0)] = (reader.GetDouble(1), reader.GetInt32(2));
                stored[reader.GetInt64(0)] = (reader.GetDouble(3), reader.GetInt32(4), reader.GetInt64(5));
            }
        }

        foreach (var id in products)
        {
            var served = await api.GetJsonAsync($"/api/products/{id}");
            var average = served.GetProperty("averageRating").GetDouble();
            var count = served.GetProperty("reviewCount").GetInt32();
            var (expectedAverage, expectedCount) = expected[id];
            // SQL's AVG and the pipeline's sum/count may differ in the last bits; anything more is a wrong rating.
            if (count != expectedCount || Math.Abs(average - expectedAverage) > 1e-9)
            {
                return string.Create(CultureInfo.InvariantCulture,
                    $"product {id} serves {average}/{count}, its reviews give {expectedAverage}/{expectedCount}, " +
                    $"its row holds {stored[id].Average}/{stored[id].Count} (rating version {stored[id].Version})");
            }
        }

        return null;
    }

    private static async Task<string?> UnsentAsync(NpgsqlConnection db, string name)
    {
        await using var command = new NpgsqlCommand("SELECT COUNT(*) FROM outbox_messages WHERE sent_at IS NULL", db);
        var unsent = (long)(await command.ExecuteScalarAsync())!;
        return unsent == 0 ? null : $"{unsent} unsent outbox rows in {name}";
    }

    private static async Task<string?> UnsentInRatingAsync(CloudtalkApp app)
    {
        await using var db = new NpgsqlConnection(await app.GetConnectionStringAsync("ratingdb"));
        await db.OpenAsync();
        return await UnsentAsync(db, "ratingdb");
    }

    private static async Task<string?> QueuedAsync(CloudtalkApp app, IReadOnlyList<long> products)
    {
        var factory = new ConnectionFactory { Uri = new Uri(await app.GetConnectionStringAsync("messaging")), AutomaticRecoveryEnabled = false };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        foreach (var queue in Queues)
        {
            // Passive: reports the ready messages without creating or changing the queue.
            var declared = await channel.QueueDeclarePassiveAsync(queue);
            if (declared.MessageCount > 0)
            {
                return $"{declared.MessageCount} messages wait in {queue}";
            }

            var deadLetters = MessagingTopology.DeadLetterQueueOf(queue);
            var ours = await CountAboutAsync(channel, deadLetters, products);
            if (ours > 0)
            {
                return $"{ours} messages about these products wait in {deadLetters}";
            }
        }

        return null;
    }

    /// <summary>The messages on a queue whose JSON body names one of the products; every message is put back.</summary>
    private static async Task<int> CountAboutAsync(IChannel channel, string queue, IReadOnlyList<long> products)
    {
        ulong lastTaken = 0;
        var count = 0;
        try
        {
            while (await channel.BasicGetAsync(queue, autoAck: false) is { } message)
            {
                lastTaken = message.DeliveryTag;
                if (ProductOf(message.Body) is { } product && products.Contains(product))
                {
                    count++;
                }
            }
        }
        finally
        {
            if (lastTaken > 0)
            {
                // Every message this channel holds, at once (the channel's earlier queues were put back already).
                await channel.BasicNackAsync(lastTaken, multiple: true, requeue: true);
            }
        }

        return count;
    }

    private static long? ProductOf(ReadOnlyMemory<byte> body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object &&
                   document.RootElement.TryGetProperty("productId", out var product) && product.TryGetInt64(out var id)
                ? id
                : null;
        }
        catch (JsonException)
        {
            // A dead letter that is not JSON (a test of bad bodies) is about no product.
            return null;
        }
    }
}
