using Cloudtalk.Common.Events;

namespace Cloudtalk.Common.Messaging;

/// <summary>
/// Handles one kind of event. Resolved from a fresh DI scope for every attempt. The message is acknowledged only
/// after <see cref="HandleAsync"/> returned, so the handler must commit its effect (and its record of
/// <see cref="EventMetadata.EventId"/>, for idempotency) before returning.
/// Throw <see cref="UnprocessableEventException"/> for an event that can never succeed (it is dead-lettered at
/// once); any other exception is retried with backoff, and dead-lettered when the attempts are used up
/// (or retried until it passes when it is transient, see <see cref="TransientFailures"/>).
/// </summary>
/// <typeparam name="TEvent">The event type.</typeparam>
public interface IIntegrationEventHandler<in TEvent>
    where TEvent : IIntegrationEvent
{
    /// <summary>Applies the event.</summary>
    /// <param name="event">The event body.</param>
    /// <param name="metadata">The event id, name and time.</param>
    /// <param name="cancellationToken">Signals that the service is stopping.</param>
    /// <returns>A task that completes when the effect is committed.</returns>
    Task HandleAsync(TEvent @event, EventMetadata metadata, CancellationToken cancellationToken);
}
