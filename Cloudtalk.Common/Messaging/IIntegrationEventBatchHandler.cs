namespace Cloudtalk.Common.Messaging;

/// <summary>
/// Handles the events of one queue, a batch at a time: everything the consumer has received and not yet handled,
/// up to <see cref="MessagingOptions.ConsumerBatchSize"/> (one event when the queue is quiet, so an idle system
/// waits for nothing). Resolved from a fresh DI scope for every attempt. The messages are acknowledged only after
/// <see cref="HandleAsync"/> returned, so the handler must commit the effect of every event, and its record of
/// every <see cref="Cloudtalk.Common.Events.EventMetadata.EventId"/> (idempotency), all or nothing (one
/// transaction), before returning. Events come in any order, and one may come twice.
/// <para>
/// When a batch of several events fails for a reason that is not transient, the consumer handles its events again
/// one by one, so one bad event cannot hold back the others. A handler that can tell which events of its batch can
/// never succeed may instead handle (commit) the others and then throw an <see cref="UnprocessableEventException"/>
/// naming those: they are dead-lettered, the others acknowledged, and nothing is handled again. For a single event: throw
/// <see cref="UnprocessableEventException"/> for an event that can never succeed (dead-lettered at once); any other
/// exception is retried with backoff and dead-lettered when the attempts are used up, or retried until it passes
/// when it is transient (<see cref="TransientFailures"/>), for a batch as for a single event.
/// </para>
/// </summary>
public interface IIntegrationEventBatchHandler
{
    /// <summary>Applies every event of the batch in one transaction.</summary>
    /// <param name="batch">The events, in the order they were delivered.</param>
    /// <param name="cancellationToken">Signals that the service is stopping.</param>
    /// <returns>A task that completes when the effects are committed.</returns>
    Task HandleAsync(IReadOnlyList<IncomingEvent> batch, CancellationToken cancellationToken);
}
