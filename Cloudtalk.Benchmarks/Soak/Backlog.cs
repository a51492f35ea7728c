using Cloudtalk.Benchmarks.Reporting;
using Cloudtalk.Common.Messaging;
using Cloudtalk.Common.Outbox;
using Npgsql;
using RabbitMQ.Client;

namespace Cloudtalk.Benchmarks.Soak;

/// <summary>
/// What is waiting in the system: messages ready in each consuming queue and its dead-letter queue, and unsent
/// outbox rows in each service's database. The connection strings are the ones the AppHost gave the running
/// services (read from their environment), so the harness needs no secrets of its own.
/// </summary>
public sealed class Backlog : IAsyncDisposable
{
    private static readonly string[] Queues =
    [
        MessagingTopology.RatingReviewEventsQueue, MessagingTopology.ApiRatingUpdatedQueue,
        MessagingTopology.DeadLetterQueueOf(MessagingTopology.RatingReviewEventsQueue),
        MessagingTopology.DeadLetterQueueOf(MessagingTopology.ApiRatingUpdatedQueue),
    ];

    private readonly IConnection _broker;
    private readonly string _apiDatabase;
    private readonly string _ratingDatabase;

    private Backlog(IConnection broker, string apiDatabase, string ratingDatabase)
    {
        _broker = broker;
        _apiDatabase = apiDatabase;
        _ratingDatabase = ratingDatabase;
    }

    public static async Task<Backlog> ConnectAsync(MeasuredSystem system)
    {
        var api = system.Running("Cloudtalk.Api");
        var rating = system.Running("Cloudtalk.Rating");
        var messaging = api.Environment("ConnectionStrings__messaging") ?? throw new InvalidOperationException("The Api has no messaging connection string.");
        var broker = await new ConnectionFactory { Uri = new Uri(messaging) }.CreateConnectionAsync();
        return new Backlog(broker,
            api.Environment("ConnectionStrings__apidb") ?? throw new InvalidOperationException("The Api has no apidb connection string."),
            rating.Environment("ConnectionStrings__ratingdb") ?? throw new InvalidOperationException("Rating has no ratingdb connection string."));
    }

    /// <summary>Ready messages per queue, then unsent outbox rows per database.</summary>
    public async Task<IReadOnlyDictionary<string, long>> MeasureAsync()
    {
        var figures = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var channel = await _broker.CreateChannelAsync())
        {
            foreach (var queue in Queues)
            {
                figures[queue] = (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
            }
        }

        figures["outbox apidb"] = await UnsentAsync(_apiDatabase);
        figures["outbox ratingdb"] = await UnsentAsync(_ratingDatabase);
        return figures;
    }

    private static async Task<long> UnsentAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"SELECT count(*) FROM {OutboxMessageConfiguration.TableName} WHERE sent_at IS NULL", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public async ValueTask DisposeAsync() => await _broker.DisposeAsync();
}
