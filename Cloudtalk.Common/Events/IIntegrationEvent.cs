namespace Cloudtalk.Common.Events;

/// <summary>
/// An event one service tells the others about through the <c>cloudtalk.events</c> exchange.
/// The record itself is the message body (JSON, camelCase); its metadata (event id, type, time,
/// trace context) travels in the AMQP properties, see <see cref="EventMetadata"/>.
/// </summary>
public interface IIntegrationEvent
{
    /// <summary>The event's name: its routing key and its AMQP <c>type</c> (one of <see cref="Messaging.EventNames"/>).</summary>
    static abstract string EventName { get; }
}
