using RabbitMQ.Client;

namespace Cloudtalk.Common.Messaging;

/// <summary>
/// The broker topology of the contract: one durable topic exchange, <see cref="Exchange"/>, whose routing key is
/// the event name; the durable consuming queues, each bound to the events it wants and dead-lettering through
/// <see cref="DeadLetterExchange"/> (direct, routing key = queue name) into <c>&lt;queue&gt;.dlq</c>.
/// Every service declares all of it when it connects (declaring is idempotent), so whoever starts first creates it
/// and no event is published before the queue that must keep it exists.
/// </summary>
public static class MessagingTopology
{
    /// <summary>The exchange every event is published to.</summary>
    public const string Exchange = "cloudtalk.events";

    /// <summary>The exchange rejected messages are dead-lettered through (routing key = the source queue).</summary>
    public const string DeadLetterExchange = "cloudtalk.dead-letter";

    /// <summary>Cloudtalk.Rating's queue: review events and product deletions.</summary>
    public const string RatingReviewEventsQueue = "rating.review-events";

    /// <summary>Cloudtalk.Api's queue: aggregate rating changes.</summary>
    public const string ApiRatingUpdatedQueue = "api.rating-updated";

    /// <summary>The dead-letter queue of a consuming queue.</summary>
    /// <param name="queue">The consuming queue.</param>
    /// <returns><c>&lt;queue&gt;.dlq</c>.</returns>
    public static string DeadLetterQueueOf(string queue) => queue + ".dlq";

    /// <summary>Each consuming queue and the routing keys (event names) bound to it.</summary>
    public static IReadOnlyDictionary<string, string[]> Queues { get; } = new Dictionary<string, string[]>
    {
        [RatingReviewEventsQueue] =
            [EventNames.ReviewCreated, EventNames.ReviewUpdated, EventNames.ReviewDeleted, EventNames.ProductDeleted],
        [ApiRatingUpdatedQueue] = [EventNames.RatingUpdated],
    };

    /// <summary>Declares the exchanges, the queues, their dead-letter queues and the bindings. Idempotent.</summary>
    /// <param name="channel">An open channel.</param>
    /// <param name="cancellationToken">Cancels the declarations.</param>
    /// <returns>A task that completes when the broker has confirmed every declaration.</returns>
    public static async Task DeclareAsync(IChannel channel, CancellationToken cancellationToken = default)
    {
        await channel.ExchangeDeclareAsync(Exchange, ExchangeType.Topic, durable: true, autoDelete: false,
            cancellationToken: cancellationToken);
        await channel.ExchangeDeclareAsync(DeadLetterExchange, ExchangeType.Direct, durable: true, autoDelete: false,
            cancellationToken: cancellationToken);

        foreach (var (queue, routingKeys) in Queues)
        {
            var deadLetterQueue = DeadLetterQueueOf(queue);
            await channel.QueueDeclareAsync(deadLetterQueue, durable: true, exclusive: false, autoDelete: false,
                arguments: null, cancellationToken: cancellationToken);
            await channel.QueueBindAsync(deadLetterQueue, DeadLetterExchange, routingKey: queue,
                cancellationToken: cancellationToken);

            var arguments = new Dictionary<string, object?>
            {
                [Headers.XDeadLetterExchange] = DeadLetterExchange,
                [Headers.XDeadLetterRoutingKey] = queue,
            };
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
                arguments: arguments, cancellationToken: cancellationToken);
            foreach (var routingKey in routingKeys)
            {
                await channel.QueueBindAsync(queue, Exchange, routingKey, cancellationToken: cancellationToken);
            }
        }
    }
}
