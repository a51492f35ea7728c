using System.Diagnostics;
using Cloudtalk.Common.Events;

namespace Cloudtalk.Common.Messaging;

/// <summary>One event ready for the wire: its serialized body and everything that goes into the AMQP properties.</summary>
/// <param name="EventId">The unique event id (AMQP <c>message-id</c>).</param>
/// <param name="EventName">The event name (AMQP <c>type</c>).</param>
/// <param name="RoutingKey">The routing key on <see cref="MessagingTopology.Exchange"/> (the event name).</param>
/// <param name="Body">The UTF-8 JSON body.</param>
/// <param name="OccurredAt">When the event happened.</param>
/// <param name="TraceParent">The W3C traceparent of the operation that raised the event, if any.</param>
/// <param name="TraceState">The W3C tracestate that goes with <paramref name="TraceParent"/>.</param>
public sealed record OutgoingMessage(
    Guid EventId,
    string EventName,
    string RoutingKey,
    ReadOnlyMemory<byte> Body,
    DateTimeOffset OccurredAt,
    string? TraceParent = null,
    string? TraceState = null)
{
    /// <summary>Builds the message of an event raised now, in the trace of the operation that raised it.</summary>
    /// <typeparam name="TEvent">The event's type.</typeparam>
    /// <param name="event">The event.</param>
    /// <param name="eventId">The event id; a new UUIDv7 when null.</param>
    /// <param name="timeProvider">The clock; the system clock when null.</param>
    /// <param name="raisedIn">The operation that raised it; <see cref="Activity.Current"/> when null.</param>
    /// <returns>The message.</returns>
    public static OutgoingMessage Create<TEvent>(TEvent @event, Guid? eventId = null, TimeProvider? timeProvider = null,
        Activity? raisedIn = null)
        where TEvent : IIntegrationEvent
    {
        var current = raisedIn ?? Activity.Current;
        return new OutgoingMessage(
            eventId ?? Guid.CreateVersion7(),
            TEvent.EventName,
            TEvent.EventName,
            EventJson.Serialize(@event),
            (timeProvider ?? TimeProvider.System).GetUtcNow(),
            current?.Id is { } id && current.IdFormat == ActivityIdFormat.W3C ? id : null,
            current?.TraceStateString);
    }
}
