using System.Text.Json;
using Cloudtalk.Common.Events;
using Cloudtalk.Common.Messaging;
using Cloudtalk.Tests.Infrastructure;
using Cloudtalk.Tests.Pipeline;
using Cloudtalk.Tests.Rating;
using RabbitMQ.Client;

namespace Cloudtalk.Tests.Messaging;

/// <summary>
/// RabbitMQ stops and starts again under the running services: Rating's consumer and its outbox relay, and the
/// Api's consumer, come back by themselves, a row committed while the broker was away is published afterwards, and nothing is marked sent
/// without the broker's confirmation.
/// </summary>
[Collection(CloudtalkCollection.Name)]
public sealed class BrokerRestartTests(CloudtalkAppFixture fixture)
{
    private const string Broker = "rabbitmq";

    [Fact]
    public async Task The_relay_and_the_consumer_resume_after_a_broker_restart()
    {
        var database = await RatingDatabase.OpenAsync(fixture.App);
        var faults = new SystemFaults(fixture.App);
        // A durable queue of the test's own keeps rating-updated while the test's connection is down with the broker.
        var watchQueue = "test.rating-updated." + Guid.NewGuid().ToString("N")[..12];
        await WithChannelAsync(async channel =>
        {
            await MessagingTopology.DeclareAsync(channel);
            await channel.QueueDeclareAsync(watchQueue, durable: true, exclusive: false, autoDelete: false);
            await channel.QueueBindAsync(watchQueue, MessagingTopology.Exchange, EventNames.RatingUpdated);
        });

        try
        {
            var before = TestIds.Next();
            await PublishAsync(new ReviewCreated(TestIds.Next(), before, 4, 1));
            await WaitForRatingAsync(watchQueue, before, 1, 4.0);

            await faults.StopAsync(Broker);

            // A rating-updated committed to Rating's outbox while the broker is away (as if just before a crash).
            var stranded = TestIds.Next();
            var strandedId = Guid.NewGuid();
            await database.ExecuteAsync(
                "INSERT INTO outbox_messages (id, type, routing_key, payload, created_at) VALUES ($1, $2, $2, $3::jsonb, now())",
                strandedId, EventNames.RatingUpdated, JsonSerializer.Serialize(new RatingUpdated(stranded, 2.5, 2, 7), EventJson.Options));

            // The relay polls and fails while the broker is down; whatever it tried, the row is not marked sent.
            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.False(await database.ScalarAsync<bool>("SELECT sent_at IS NOT NULL FROM outbox_messages WHERE id = $1", strandedId));

            await faults.StartAsync(Broker);

            // The relay resumes: the stranded row reaches the broker and is marked sent.
            var delivered = await WaitForRatingAsync(watchQueue, stranded, 2, 2.5);
            Assert.Equal(7, delivered.Version);
            await Eventually.WaitAsync(
                () => database.ScalarAsync<bool>("SELECT sent_at IS NOT NULL FROM outbox_messages WHERE id = $1", strandedId),
                sent => sent, TestBus.ConvergenceTimeout, () => $"outbox row {strandedId} is not marked sent");

            // The consumer resumes: a review event published after the restart is applied and answered.
            var after = TestIds.Next();
            await PublishAsync(new ReviewCreated(TestIds.Next(), after, 5, 1));
            await PublishAsync(new ReviewCreated(TestIds.Next(), after, 3, 1));
            await WaitForRatingAsync(watchQueue, after, 2, 4.0);

            // The Api's consumer resumes too: a review written through REST after the restart reaches the product.
            using var api = fixture.App.CreateApiClient();
            var product = (await api.CreateProductAsync("after a broker restart")).Id();
            await api.CreateReviewAsync(product, 5);
            await api.CreateReviewAsync(product, 2);
            await ServedRatings.WaitForAsync(api, await ApiDatabase.OpenAsync(fixture.App), product, 2, 3.5);
        }
        finally
        {
            await faults.EnsureRunningAsync(Broker);
            await WithChannelAsync(channel => channel.QueueDeleteAsync(watchQueue));
            await faults.EnsureRunningAsync("rating");
        }
    }

    private async Task WithChannelAsync(Func<IChannel, Task> action)
    {
        await using var connection = await TestBus.ConnectAsync(fixture.App);
        await using var channel = await connection.CreateChannelAsync();
        await action(channel);
        await connection.CloseAsync();
    }

    private async Task PublishAsync<TEvent>(TEvent @event)
        where TEvent : IIntegrationEvent
    {
        await using var connection = await TestBus.ConnectAsync(fixture.App);
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(
            publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var properties = new BasicProperties
        {
            Persistent = true,
            ContentType = "application/json",
            MessageId = Guid.NewGuid().ToString(),
            Type = TEvent.EventName,
        };
        await channel.BasicPublishAsync(MessagingTopology.Exchange, TEvent.EventName, mandatory: true, properties, EventJson.Serialize(@event));
        await connection.CloseAsync();
    }

    /// <summary>Reads the watch queue (reconnecting as needed) until the product's newest rating matches.</summary>
    private async Task<RatingUpdated> WaitForRatingAsync(string queue, long productId, int reviewCount, double averageRating)
    {
        var seen = new List<RatingUpdated>();
        return (await Eventually.WaitAsync(async () =>
        {
            try
            {
                await using var connection = await TestBus.ConnectAsync(fixture.App);
                await using var channel = await connection.CreateChannelAsync();
                while (await channel.BasicGetAsync(queue, autoAck: true) is { } result)
                {
                    seen.Add(JsonSerializer.Deserialize<RatingUpdated>(result.Body.Span, EventJson.Options)!);
                }

                await connection.CloseAsync();
            }
            catch (Exception exception) when (exception is RabbitMQ.Client.Exceptions.BrokerUnreachableException
                                                  or RabbitMQ.Client.Exceptions.AlreadyClosedException)
            {
                // The broker is still coming back.
            }

            return seen.Where(rating => rating.ProductId == productId).MaxBy(rating => rating.Version);
        }, latest => latest is not null && latest.ReviewCount == reviewCount && Math.Abs(latest.AverageRating - averageRating) < 1e-9,
            TestBus.ConvergenceTimeout,
            () => $"product {productId}: expected {reviewCount} reviews averaging {averageRating}"))!;
    }
}
