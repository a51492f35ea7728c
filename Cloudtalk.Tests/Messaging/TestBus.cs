using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Cloudtalk.Common.Events;
using Cloudtalk.Common.Messaging;
using Cloudtalk.Tests.Infrastructure;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Cloudtalk.Tests.Messaging;

/// <summary>
/// A test's own connection to the broker: publishes straight to <c>cloudtalk.events</c> (as the Api would) and
/// watches <c>rating-updated</c> on an exclusive, auto-delete queue of its own.
/// </summary>
public sealed class TestBus : IAsyncDisposable
{
    public static readonly TimeSpan ConvergenceTimeout = TimeSpan.FromSeconds(60);

    private readonly IConnection _connection;
    private readonly IChannel _publishChannel;
    private readonly IChannel _watchChannel;
    private readonly ConcurrentQueue<ReceivedRating> _received = new();

    private TestBus(IConnection connection, IChannel publishChannel, IChannel watchChannel)
    {
        _connection = connection;
        _publishChannel = publishChannel;
        _watchChannel = watchChannel;
    }

    /// <summary>One received <c>rating-updated</c> with the AMQP properties it came with.</summary>
    public sealed record ReceivedRating(RatingUpdated Event, string? MessageId, string? Type, string? ContentType,
        bool Persistent, string? TraceParent);

    public IConnection Connection => _connection;

    public static async Task<IConnection> ConnectAsync(CloudtalkApp app)
    {
        var uri = await app.GetConnectionStringAsync("messaging");
        var factory = new ConnectionFactory { Uri = new Uri(uri), AutomaticRecoveryEnabled = false };
        return await factory.CreateConnectionAsync();
    }

    public static async Task<TestBus> StartAsync(CloudtalkApp app)
    {
        var connection = await ConnectAsync(app);
        var publishChannel = await connection.CreateChannelAsync(new CreateChannelOptions(
            publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        await MessagingTopology.DeclareAsync(publishChannel);

        var watchChannel = await connection.CreateChannelAsync();
        var bus = new TestBus(connection, publishChannel, watchChannel);
        var queue = await watchChannel.QueueDeclareAsync(string.Empty, durable: false, exclusive: true, autoDelete: true);
        await watchChannel.QueueBindAsync(queue.QueueName, MessagingTopology.Exchange, EventNames.RatingUpdated);
        var consumer = new AsyncEventingBasicConsumer(watchChannel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            var properties = delivery.BasicProperties;
            var rating = JsonSerializer.Deserialize<RatingUpdated>(delivery.Body.Span, EventJson.Options)!;
            var traceParent = properties.Headers is { } headers && headers.TryGetValue("traceparent", out var value)
                ? MessagingTelemetry.HeaderText(value)
                : null;
            bus._received.Enqueue(new ReceivedRating(rating, properties.MessageId, properties.Type, properties.ContentType,
                properties.Persistent, traceParent));
            return Task.CompletedTask;
        };
        await watchChannel.BasicConsumeAsync(queue.QueueName, autoAck: true, consumer);
        return bus;
    }

    /// <summary>Publishes an event as the Api does; returns its event id.</summary>
    public async Task<Guid> PublishAsync<TEvent>(TEvent @event, Guid? eventId = null, string? traceParent = null)
        where TEvent : IIntegrationEvent
    {
        var id = eventId ?? Guid.NewGuid();
        await PublishRawAsync(TEvent.EventName, TEvent.EventName, EventJson.Serialize(@event), id.ToString(), traceParent);
        return id;
    }

    /// <summary>Publishes any body with any type: for poison messages.</summary>
    public async Task PublishRawAsync(string routingKey, string? type, byte[] body, string messageId, string? traceParent = null)
    {
        var headers = new Dictionary<string, object?>();
        if (traceParent is not null)
        {
            headers["traceparent"] = traceParent;
        }

        var properties = new BasicProperties
        {
            Persistent = true,
            ContentType = "application/json",
            MessageId = messageId,
            Type = type,
            Headers = headers,
        };
        await _publishChannel.BasicPublishAsync(MessagingTopology.Exchange, routingKey, mandatory: true, properties, body);
    }

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>Every rating-updated received so far for a product, in arrival order.</summary>
    public IReadOnlyList<ReceivedRating> ReceivedFor(long productId) =>
        _received.Where(received => received.Event.ProductId == productId).ToList();

    /// <summary>The newest (highest version) rating-updated received for a product, or null.</summary>
    public RatingUpdated? LatestFor(long productId) =>
        ReceivedFor(productId).Select(received => received.Event).MaxBy(rating => rating.Version);

    /// <summary>Waits until the newest rating of the product has this count and average.</summary>
    public async Task<RatingUpdated> WaitForRatingAsync(long productId, int reviewCount, double averageRating)
    {
        var latest = await Eventually.WaitAsync(
            () => Task.FromResult(LatestFor(productId)),
            rating => rating is not null && rating.ReviewCount == reviewCount && Math.Abs(rating.AverageRating - averageRating) < 1e-9,
            ConvergenceTimeout,
            () => $"product {productId}: expected {reviewCount} reviews averaging {averageRating}, newest seen {LatestFor(productId)}");
        return latest!;
    }

    /// <summary>Takes messages off a queue until one with the message id appears (the others are put back).</summary>
    public async Task<BasicGetResult?> FindOnQueueAsync(string queue, string messageId)
    {
        await using var channel = await _connection.CreateChannelAsync();
        return await Eventually.WaitAsync(async () =>
        {
            var putBack = new List<ulong>();
            try
            {
                while (await channel.BasicGetAsync(queue, autoAck: false) is { } result)
                {
                    if (result.BasicProperties.MessageId == messageId)
                    {
                        await channel.BasicAckAsync(result.DeliveryTag, multiple: false);
                        return result;
                    }

                    putBack.Add(result.DeliveryTag);
                }

                return null;
            }
            finally
            {
                foreach (var tag in putBack)
                {
                    await channel.BasicNackAsync(tag, multiple: false, requeue: true);
                }
            }
        }, result => result is not null, ConvergenceTimeout, () => $"message {messageId} never reached {queue}");
    }

    /// <summary>The message ids on a queue right now (each is put back).</summary>
    public async Task<IReadOnlyList<string>> MessageIdsOnQueueAsync(string queue)
    {
        await using var channel = await _connection.CreateChannelAsync();
        var ids = new List<string>();
        var tags = new List<ulong>();
        while (await channel.BasicGetAsync(queue, autoAck: false) is { } result)
        {
            ids.Add(result.BasicProperties.MessageId ?? string.Empty);
            tags.Add(result.DeliveryTag);
        }

        foreach (var tag in tags)
        {
            await channel.BasicNackAsync(tag, multiple: false, requeue: true);
        }

        return ids;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _watchChannel.DisposeAsync();
            await _publishChannel.DisposeAsync();
            await _connection.CloseAsync();
        }
        catch (Exception)
        {
            // A connection the broker restart already broke.
        }

        await _connection.DisposeAsync();
    }
}

/// <summary>Polling until a condition holds: the tests assert on convergence, never on timing.</summary>
public static class Eventually
{
    public static async Task<T> WaitAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout, Func<string> describe)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Not converged within {timeout}: {describe()}");
            }

            await Task.Delay(50);
        }
    }
}
