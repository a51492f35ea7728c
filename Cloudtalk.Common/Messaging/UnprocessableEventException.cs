namespace Cloudtalk.Common.Messaging;

/// <summary>
/// Thrown by a handler for an event that can never be processed (an unknown product, an impossible value):
/// the consumer dead-letters the message at once instead of retrying it.
/// </summary>
/// <remarks>
/// From a batch, without <see cref="EventIds"/>, it fails the whole batch, which the consumer then handles again one
/// event at a time. With <see cref="EventIds"/>, the handler says more: it has handled every other event of the batch
/// (committed), and only these can never be processed. The consumer dead-letters them and acknowledges the others,
/// without handling anything again.
/// </remarks>
public sealed class UnprocessableEventException : Exception
{
    /// <summary>Creates the exception.</summary>
    public UnprocessableEventException()
    {
    }

    /// <summary>Creates the exception with a reason.</summary>
    /// <param name="message">Why the event cannot be processed.</param>
    public UnprocessableEventException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a reason and its cause.</summary>
    /// <param name="message">Why the event cannot be processed.</param>
    /// <param name="innerException">The cause.</param>
    public UnprocessableEventException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for some events of a batch whose other events the handler has handled.</summary>
    /// <param name="message">Why these events cannot be processed.</param>
    /// <param name="eventIds">The ids (<see cref="Cloudtalk.Common.Events.EventMetadata.EventId"/>) of the events that cannot be processed.</param>
    public UnprocessableEventException(string message, IReadOnlyCollection<Guid> eventIds) : base(message)
    {
        EventIds = eventIds;
    }

    /// <summary>The events that cannot be processed, when the handler has handled the rest of its batch; empty otherwise.</summary>
    public IReadOnlyCollection<Guid> EventIds { get; } = [];
}
