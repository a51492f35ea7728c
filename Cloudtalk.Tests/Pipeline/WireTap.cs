using System.Collections.Concurrent;
using System.Text.Json;
using Cloudtalk.Common.Messaging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Cloudtalk.Tests.Pipeline;

/// <summary>
/// An exclusive, auto-delete queue of the test's own bound to <c>cloudtalk.events</c>: sees what the services put
/// on the wire (a copy; the services' own queues still get theirs).
/// </summary>
public sealed class WireTap : IAsyncDisposable
{
    private readonly IChannel _channel;
    private readonly ConcurrentQueue<TappedMessage> _messages = new();

    private WireTap(IChannel channel) => _channel = channel;

    /// <summary>One message with the AMQP properties it came with.</summary>
    public sealed record TappedMessage(string RoutingKey, JsonElement Body, string? MessageId, string? Type,
        string? ContentType, bool Persistent, string? TraceParent);

    public static async Task<WireTap> StartAsync(IConnection connection, params string[] routingKeys)
    {
        var channel = await connection.CreateChannelAsync();
        var tap = new WireTap(channel);
        var queue = await channel.QueueDeclareAsync(string.Empty, durable: false, exclusive: true, autoDelete: true);
        foreach (var routingKey in routingKeys)
        {
            await channel.QueueBindAsync(queue.QueueName, MessagingTopology.Exchange, routingKey);
        }

        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            var properties = delivery.BasicProperties;
            var traceParent = properties.Headers is { } headers && headers.TryGetValue("traceparent", out var value)
                ? MessagingTelemetry.HeaderText(value)
                : null;
            tap._messages.Enqueue(new TappedMessage(delivery.RoutingKey,
                JsonDocument.Parse(delivery.Body).RootElement.Clone(), properties.MessageId, properties.Type,
                properties.ContentType, properties.Persistent, traceParent));
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(queue.QueueName, autoAck: true, consumer);
        return tap;
    }

    /// <summary>Waits for the first message with this routing key whose body matches.</summary>
    public Task<TappedMessage> WaitForAsync(string routingKey, Func<JsonElement, bool> matches, TimeSpan timeout) =>
        Messaging.Eventually.WaitAsync(
            () => Task.FromResult(_messages.FirstOrDefault(message => message.RoutingKey == routingKey && matches(message.Body))),
            message => message is not null, timeout, () => $"no matching {routingKey} on the wire")!;

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _channel.CloseAsync();
        }
        catch (Exception)
        {
            // The connection is already gone.
        }

        await _channel.DisposeAsync();
    }
}
