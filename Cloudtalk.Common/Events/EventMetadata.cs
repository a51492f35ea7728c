namespace Cloudtalk.Common.Events;

/// <summary>What travels beside an event's body.</summary>
/// <param name="EventId">The unique event id: the AMQP <c>message-id</c>, and the key of idempotent processing.</param>
/// <param name="EventName">The event's name: the AMQP <c>type</c> and the routing key.</param>
/// <param name="OccurredAt">When the event happened (the AMQP <c>timestamp</c>, and the <c>occurred-at</c> header to the millisecond).</param>
public sealed record EventMetadata(Guid EventId, string EventName, DateTimeOffset OccurredAt);
