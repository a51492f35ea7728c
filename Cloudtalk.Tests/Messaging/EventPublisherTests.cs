using System.Diagnostics;
using Cloudtalk.Common.Events;
using Cloudtalk.Common.Messaging;
using Cloudtalk.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Cloudtalk.Tests.Messaging;

/// <summary><see cref="RabbitMqEventPublisher"/> in this process against the real broker.</summary>
[Collection(CloudtalkCollection.Name)]
public sealed class EventPublisherTests(CloudtalkAppFixture fixture) : IAsyncLifetime
{
    private IConnection _connection = null!;

    public async Task InitializeAsync() => _connection = await TestBus.ConnectAsync(fixture.App);

    private RabbitMqEventPublisher CreatePublisher() =>
        new(_connection, Options.Create(new MessagingOptions()), NullLogger<RabbitMqEventPublisher>.Instance);

    public async Task DisposeAsync()
    {
        await _connection.CloseAsync();
        await _connection.DisposeAsync();
    }

    [Fact]
    public async Task A_confirmed_message_carries_the_contract_properties_and_the_callers_trace()
    {
        await using var publisher = CreatePublisher();
        var routingKey = "test-event-" + Guid.NewGuid().ToString("N")[..8];
        await using var channel = await _connection.CreateChannelAsync();
        await MessagingTopology.DeclareAsync(channel);
        var queue = await channel.QueueDeclareAsync(string.Empty, durable: false, exclusive: true, autoDelete: true);
        await channel.QueueBindAsync(queue.QueueName, MessagingTopology.Exchange, routingKey);

        var traceId = ActivityTraceId.CreateRandom();
        var traceParent = $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01";
        var message = new OutgoingMessage(Guid.CreateVersion7(), EventNames.ReviewCreated, routingKey,
            EventJson.Serialize(new ReviewCreated(1, 2, 3, 4)), DateTimeOffset.UtcNow, traceParent);
        await publisher.PublishAsync(message);

        var received = await Eventually.WaitAsync(() => channel.BasicGetAsync(queue.QueueName, autoAck: true),
            result => result is not null, TestBus.ConvergenceTimeout, () => "the published message did not arrive");
        var properties = received!.BasicProperties;
        Assert.True(properties.Persistent);
        Assert.Equal("application/json", properties.ContentType);
        Assert.Equal(message.EventId.ToString(), properties.MessageId);
        Assert.Equal(EventNames.ReviewCreated, properties.Type);
        Assert.Equal("{\"reviewId\":1,\"productId\":2,\"rating\":3,\"reviewVersion\":4}", System.Text.Encoding.UTF8.GetString(received.Body.Span));
        var header = MessagingTelemetry.HeaderText(properties.Headers!["traceparent"]);
        Assert.NotNull(header);
        Assert.Equal(traceId.ToString(), header.Split('-')[1]);
    }

    [Fact]
    public async Task A_message_no_queue_takes_is_an_error_not_a_silent_drop()
    {
        await using var publisher = CreatePublisher();
        var message = new OutgoingMessage(Guid.CreateVersion7(), "nobody-listens", "nobody-listens-" + Guid.NewGuid().ToString("N"),
            EventJson.Serialize(new ProductDeleted(1)), DateTimeOffset.UtcNow);

        var exception = await Assert.ThrowsAnyAsync<PublishException>(() => publisher.PublishAsync(message));
        Assert.True(exception.IsReturn);

        // The publisher is still usable afterwards. Rating takes this one: it names a product no test creates through
        // the Api (the deletion of a real product would leave Rating ignoring that product's reviews for good).
        await publisher.PublishAsync(new OutgoingMessage(Guid.CreateVersion7(), EventNames.ProductDeleted, EventNames.ProductDeleted,
            EventJson.Serialize(new ProductDeleted(TestIds.Next())), DateTimeOffset.UtcNow));
    }
}
