using System.Diagnostics;
using System.Text;
using Cloudtalk.Common.Events;
using Cloudtalk.Common.Messaging;

namespace Cloudtalk.Common.Outbox;

/// <summary>
/// An event written in the same transaction as the business change that raised it, waiting for
/// <see cref="OutboxRelay{TContext}"/> to put it on the wire. A row is kept after it was sent, with
/// <see cref="SentAt"/> set (the relay only reads rows whose <see cref="SentAt"/> is null, through a partial
/// index), and purged after <see cref="OutboxOptions.SentRetention"/>; so recent traffic stays visible for
/// debugging without the table growing for ever.
/// </summary>
public sealed class OutboxMessage
{
    /// <summary>The event id: the AMQP <c>message-id</c> and the consumers' idempotency key.</summary>
    public Guid Id { get; set; }

    /// <summary>Database-assigned, strictly growing: the order in which the relay publishes.</summary>
    public long Sequence { get; set; }

    /// <summary>The event name (AMQP <c>type</c>).</summary>
    public required string Type { get; set; }

    /// <summary>The routing key on <see cref="MessagingTopology.Exchange"/>.</summary>
    public required string RoutingKey { get; set; }

    /// <summary>The JSON body (a <c>jsonb</c> column).</summary>
    public required string Payload { get; set; }

    /// <summary>The W3C traceparent of the operation that raised the event, so the trace continues through the relay.</summary>
    public string? TraceParent { get; set; }

    /// <summary>The W3C tracestate that goes with <see cref="TraceParent"/>.</summary>
    public string? TraceState { get; set; }

    /// <summary>When the event was raised.</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When the broker confirmed it; null while it waits.</summary>
    public DateTimeOffset? SentAt { get; set; }

    /// <summary>The row of an event about to be raised now, in the trace of the operation that raised it.</summary>
    /// <typeparam name="TEvent">The event type.</typeparam>
    /// <param name="event">The event.</param>
    /// <param name="eventId">The event id; a new UUIDv7 when null.</param>
    /// <param name="timeProvider">The clock; the system clock when null.</param>
    /// <param name="raisedIn">The operation that raised it; <see cref="Activity.Current"/> when null.</param>
    /// <returns>The row, not yet added to any context.</returns>
    public static OutboxMessage Create<TEvent>(TEvent @event, Guid? eventId = null, TimeProvider? timeProvider = null,
        Activity? raisedIn = null)
        where TEvent : IIntegrationEvent
    {
        var message = OutgoingMessage.Create(@event, eventId, timeProvider, raisedIn);
        return new OutboxMessage
        {
            Id = message.EventId,
            Type = message.EventName,
            RoutingKey = message.RoutingKey,
            Payload = Encoding.UTF8.GetString(message.Body.Span),
            TraceParent = message.TraceParent,
            TraceState = message.TraceState,
            CreatedAt = message.OccurredAt,
        };
    }

    /// <summary>The message the relay publishes for this row.</summary>
    /// <returns>The outgoing message.</returns>
    public OutgoingMessage ToOutgoingMessage() =>
        new(Id, Type, RoutingKey, Encoding.UTF8.GetBytes(Payload), CreatedAt, TraceParent, TraceState);
}
