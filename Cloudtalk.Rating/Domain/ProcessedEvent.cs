namespace Cloudtalk.Rating.Domain;

/// <summary>
/// An event id Rating has applied, written in the same transaction as the event's effect: a redelivered or
/// duplicated event finds its id here and changes nothing.
/// </summary>
public sealed class ProcessedEvent
{
    public Guid EventId { get; set; }

    public required string EventName { get; set; }

    public DateTimeOffset ProcessedAt { get; set; }
}
